/**
 * Reads a V8 CPU profile (`node --cpu-prof`, the `.cpuprofile` JSON) into self time per frame and
 * per owner (our code, each npm package, Node's internals, GC), so the bench can say where the
 * first event's time goes. Pure, so it is unit tested (test/unit/bench-profile.test.ts).
 */

/**
 * Who a script URL belongs to: `streamgate` for our own code (anything outside node_modules under
 * `root`), the npm package for node_modules (the innermost one), `node` for Node's internals, and
 * V8's own pseudo-frames as they are named (`(garbage collector)`, `(program)`, `(idle)`).
 *
 * @example ownerOf('file:///r/node_modules/@grpc/grpc-js/build/src/channel.js', 'fieldName') // '@grpc/grpc-js'
 */
export function ownerOf(url, functionName = '') {
  if (!url) return functionName.startsWith('(') ? functionName : 'node';
  if (url.startsWith('node:')) return 'node';
  const at = url.lastIndexOf('/node_modules/');
  if (at >= 0) {
    const parts = url.slice(at + '/node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? 'node_modules');
  }
  return 'streamgate';
}

/**
 * Self time (ms) per frame and per owner, largest first, and the profile's total.
 *
 * @example summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), { top: 15 })
 */
export function summarizeProfile(profile, { top = 15 } = {}) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const frames = new Map();
  const owners = new Map();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame ?? {};
    const owner = ownerOf(frame.url, frame.functionName);
    const name = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${(frame.lineNumber ?? 0) + 1}`;
    frames.set(name, { owner, us: (frames.get(name)?.us ?? 0) + us });
    owners.set(owner, (owners.get(owner) ?? 0) + us);
    totalUs += us;
  }
  const ms = (us) => Math.round(us / 100) / 10;
  return {
    totalMs: ms(totalUs),
    owners: [...owners].sort((a, b) => b[1] - a[1]).map(([owner, us]) => ({ owner, selfMs: ms(us) })),
    frames: [...frames]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([frame, { owner, us }]) => ({ frame, owner, selfMs: ms(us) })),
  };
}

/** The part of a script URL worth printing: from the package (or our top folder) on. */
function shortUrl(url) {
  if (!url) return '';
  const at = url.lastIndexOf('/node_modules/');
  if (at >= 0) return url.slice(at + '/node_modules/'.length);
  const ours = /\/(dist\/.*|bench\/.*)$/.exec(url);
  return ours?.[1] ?? url;
}

/**
 * The human summary of the first-event profiles: per function, ours and the floor side by side by
 * owner, then our top frames.
 */
export function formatProfiles(profiles, { owners = 8, frames = 10 } = {}) {
  const lines = [];
  for (const [target, { ours, floor }] of Object.entries(profiles)) {
    lines.push(
      `CPU profile of the first event: ${target} (self ms; process total ours ${ours.totalMs}, floor ${floor.totalMs})`,
    );
    const floorBy = new Map(floor.owners.map((o) => [o.owner, o.selfMs]));
    const names = [
      ...new Set([...ours.owners.slice(0, owners), ...floor.owners.slice(0, owners)].map((o) => o.owner)),
    ];
    const oursBy = new Map(ours.owners.map((o) => [o.owner, o.selfMs]));
    for (const name of names)
      lines.push(
        `  ${name.padEnd(28)} ours ${String(oursBy.get(name) ?? 0).padStart(7)}  floor ${String(floorBy.get(name) ?? 0).padStart(7)}`,
      );
    lines.push('  our top frames:');
    for (const f of ours.frames.slice(0, frames))
      lines.push(`    ${String(f.selfMs).padStart(7)}  ${f.frame}`);
  }
  return lines.join('\n');
}
