/**
 * `kubectl zk report NAME`: gathers the report (src/ops/report/gather.ts)
 * and writes it as one .tar.gz that appears only when complete. An existing
 * path is refused before anything is asked of the cluster.
 */
import {checkTarget, openAtomic} from '../util/atomic-file.js';
import {tarGz} from '../util/tar.js';
import {gatherReport, reportRoot, type ReportDeps, type ReportRequest} from './report/gather.js';

export type {ReportDeps, ReportRequest};

export interface ReportResult {
  name: string;
  namespace: string;
  file: string;
  bytes: number;
  /** files in the archive */
  files: string[];
  /** what could not be gathered (also in the archive's errors.txt) */
  errors: string[];
  /** secret values found in gathered text and replaced */
  redactions: number;
}

/** The default archive name: kzk-report-NAME-<UTC time>.tar.gz in the current directory. */
export function defaultReportFile(name: string, now: Date): string {
  return `${reportRoot(name, now)}.tar.gz`;
}

export async function writeReport(req: ReportRequest & {file?: string; force: boolean}, deps: ReportDeps): Promise<ReportResult> {
  const file = req.file ?? defaultReportFile(req.name, new Date(deps.clock.now()));
  await checkTarget(file, req.force);
  const contents = await gatherReport(req, deps);
  const bytes = tarGz(contents.files, new Date(deps.clock.now()));
  const out = await openAtomic(file, {force: req.force});
  try {
    await new Promise<void>((resolve, reject) => out.stream.write(bytes, (err) => (err ? reject(err) : resolve())));
    await out.commit();
  } catch (err) {
    await out.abort();
    throw err;
  }
  return {
    name: req.name,
    namespace: req.namespace,
    file,
    bytes: bytes.length,
    files: contents.files.map((f) => f.name),
    errors: contents.errors,
    redactions: contents.redactions,
  };
}
