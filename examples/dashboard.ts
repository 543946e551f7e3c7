// The README's "Dashboard" section: serve the web dashboard on an instance's database, in-process.
// `npx hotmesh dashboard` does the same from a shell.
import { MemFlow, type MemFlowInstance } from 'hotmesh';

export async function openDashboard(mf: MemFlowInstance) {
  const dashboard = await MemFlow.dashboard({
    mf,               // its connection and app; or { connection } / { dataDir } and an appId
    port: 7070,       // 0 picks a free port
    readOnly: false,  // true hides every action, and the server refuses them
  });
  console.log(`dashboard at ${dashboard.url}`); // http://127.0.0.1:7070, loopback only without a token
  return dashboard; // dashboard.close() stops it
}
