/** Where commands/create.ts finds the member probe; the code lives in src/ops/ensemble/. */
export {MemberForwarders} from './ensemble/forwarders.js';
export {memberProbe} from './ensemble/probe.js';
