// The same rehearsal as sdk.mjs with node-app-store-connect-api: lists,
// export compliance, a build added to an external group, "What to Test".
// It reads single pages (read, not readAll): the library takes only https
// URLs as absolute, so it cannot follow the emulator's http links.next.
import { readFileSync } from "node:fs";
import { api } from "node-app-store-connect-api";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const { read, create, update, postJson } = await api({
  urlBase: env("ASC_URL"),
  issuerId: env("ASC_ISSUER_ID"),
  apiKey: env("ASC_KEY_ID"),
  privateKey: readFileSync(env("ASC_KEY_PATH"), "utf8"),
  automaticRetries: 0,
});

const bundleId = env("ASC_BUNDLE_ID");
const whatsNew = env("ASC_WHATS_NEW");
const { data: [app] } = await read(`apps?filter[bundleId]=${bundleId}`);
const { data: builds } = await read(`builds?filter[app]=${app.id}&sort=-uploadedDate`);
const { data: prvs } = await read(`preReleaseVersions?filter[app]=${app.id}`);
const { data: groups } = await read(`betaGroups?filter[app]=${app.id}`);
const { data: testers } = await read(`betaTesters?filter[apps]=${app.id}`);
const build = builds[0];
const group = groups.find((g) => !g.attributes.isInternalGroup);

await update(build, { attributes: { usesNonExemptEncryption: false } });
await postJson(`builds/${build.id}/relationships/betaGroups`, { data: [{ type: "betaGroups", id: group.id }] });
await create({
  type: "betaBuildLocalizations",
  attributes: { locale: "en-US", whatsNew },
  relationships: { build: { type: "builds", id: build.id } },
});
const { data: groupBuilds } = await read(`betaGroups/${group.id}/builds`);
const { data: notes } = await read(`builds/${build.id}/betaBuildLocalizations`);

console.log(JSON.stringify({
  app: app.id,
  builds: builds.map((b) => b.attributes.version),
  preReleaseVersions: prvs.map((p) => p.attributes.version).sort(),
  betaGroups: groups.map((g) => g.attributes.name).sort(),
  betaTesters: testers.map((t) => t.attributes.email).sort(),
  build: build.id,
  group: group.id,
  groupBuilds: groupBuilds.map((b) => b.id),
  whatsNew: notes.map((l) => l.attributes.whatsNew),
}));
