import {Args, Flags} from '@oclif/core';
import {ZkCommand} from '../base.js';
import type {OutputFormat, Runtime} from '../cli/runtime.js';
import {UsageError} from '../errors.js';
import {validateName} from '../manifests/options.js';
import type {CertificateResult} from '../ops/certificate.js';
import {renderCertificate} from '../render/certificate.js';

export default class Certificate extends ZkCommand<CertificateResult> {
  static override summary = 'Issue a client certificate signed by the CA of an ensemble made with --tls: into a Secret, or as PEM.';
  static override description = `The certificate's subject CN is --user; it is for TLS client authentication only and lasts --days. -o secret (the default) creates a Secret of type kubernetes.io/tls (tls.crt, tls.key, ca.crt; --secret-name, default NAME-client-USER) for an application to mount; teardown removes it with the ensemble. -o pem prints the key, the certificate and the CA certificate to stdout and creates nothing. Clients connect to the client Service on port 2281 and verify the server against ca.crt: docs/tls.md has a Java and a Node example.`;
  static override examples = [
    '<%= config.bin %> certificate zk --user billing',
    '<%= config.bin %> certificate zk --user billing -o pem > billing.pem',
    '<%= config.bin %> certificate zk --user billing --secret-name billing-zk-tls --days 90',
  ];
  static override args = {
    name: Args.string({required: true, ignoreStdin: true, description: 'Ensemble name.'}),
  };
  static override outputs: OutputFormat[] = ['secret', 'pem', 'json', 'yaml'];
  static override flags = {
    user: Flags.string({summary: "The certificate's subject CN (the user name an application authenticates as).", required: true}),
    days: Flags.integer({summary: 'Days the certificate is valid.', default: 730}),
    'secret-name': Flags.string({summary: 'The Secret to create (default: NAME-client-USER); not with -o pem.'}),
  };

  async execute(rt: Runtime): Promise<CertificateResult> {
    const {args, flags} = await this.parse(Certificate);
    const [{issueUserCertificate, validateUser, defaultSecretName}] = await Promise.all([import('../ops/certificate.js')]);
    validateName(args.name);
    validateUser(flags.user);
    if (!Number.isInteger(flags.days) || flags.days < 1 || flags.days > 3650) throw new UsageError(`--days must be from 1 to 3650, got ${flags.days}`);
    if (rt.output === 'pem' && flags['secret-name']) throw new UsageError('--secret-name makes a Secret; -o pem prints PEM and makes nothing');
    const kube = await rt.kube();
    const secretName = rt.output === 'pem' ? undefined : (flags['secret-name'] ?? defaultSecretName(args.name, flags.user));
    const result = await issueUserCertificate(kube, {namespace: kube.namespace, name: args.name, user: flags.user, days: flags.days, secretName}, new Date(rt.clock.now()));
    if (rt.output === 'json' || rt.output === 'yaml') delete result.pem;
    return result;
  }

  override render(result: CertificateResult): string {
    return renderCertificate(result);
  }
}
