// Rehearses a TestFlight step with appstore-connect-sdk against the URL in
// ASC_URL, signing its own tokens with the key at ASC_KEY_PATH (ASC_KEY_ID,
// ASC_ISSUER_ID). Prints what it read and wrote as one JSON line; any error
// exits non-zero. Run by internal/e2e (TestNpmClients).
import { readFileSync } from "node:fs";
import * as sdk from "appstore-connect-sdk";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const client = sdk.createClient({
  baseUrl: env("ASC_URL"),
  issuerId: env("ASC_ISSUER_ID"),
  privateKeyId: env("ASC_KEY_ID"),
  privateKey: readFileSync(env("ASC_KEY_PATH"), "utf8"),
});

// call runs one SDK operation and returns its document, or throws with
// the status and Apple's error codes.
async function call(fn, options) {
  const res = await fn({ client, ...options });
  if (res.error !== undefined || !res.response.ok) {
    const codes = (res.error?.errors ?? []).map((e) => e.code).join(",");
    throw new Error(`${fn.name}: HTTP ${res.response.status} ${codes}`);
  }
  return res.data;
}

const bundleId = env("ASC_BUNDLE_ID");
const whatsNew = env("ASC_WHATS_NEW");
const apps = await call(sdk.appsGetCollection, { query: { "filter[bundleId]": [bundleId] } });
const app = apps.data[0];
const builds = await call(sdk.buildsGetCollection, { query: { "filter[app]": [app.id], sort: ["-uploadedDate"] } });
const prvs = await call(sdk.preReleaseVersionsGetCollection, { query: { "filter[app]": [app.id] } });
const groups = await call(sdk.betaGroupsGetCollection, { query: { "filter[app]": [app.id] } });
const testers = await call(sdk.betaTestersGetCollection, { query: { "filter[apps]": [app.id] } });
const build = builds.data[0];
const group = groups.data.find((g) => !g.attributes.isInternalGroup);

await call(sdk.buildsUpdateInstance, {
  path: { id: build.id },
  body: { data: { type: "builds", id: build.id, attributes: { usesNonExemptEncryption: false } } },
});
await call(sdk.buildsBetaGroupsCreateToManyRelationship, {
  path: { id: build.id },
  body: { data: [{ type: "betaGroups", id: group.id }] },
});
await call(sdk.betaBuildLocalizationsCreateInstance, {
  body: {
    data: {
      type: "betaBuildLocalizations",
      attributes: { locale: "en-US", whatsNew },
      relationships: { build: { data: { type: "builds", id: build.id } } },
    },
  },
});
const groupBuilds = await call(sdk.betaGroupsBuildsGetToManyRelated, { path: { id: group.id } });
const notes = await call(sdk.buildsBetaBuildLocalizationsGetToManyRelated, { path: { id: build.id } });

console.log(JSON.stringify({
  app: app.id,
  builds: builds.data.map((b) => b.attributes.version),
  preReleaseVersions: prvs.data.map((p) => p.attributes.version).sort(),
  betaGroups: groups.data.map((g) => g.attributes.name).sort(),
  betaTesters: testers.data.map((t) => t.attributes.email).sort(),
  build: build.id,
  group: group.id,
  groupBuilds: groupBuilds.data.map((b) => b.id),
  whatsNew: notes.data.map((l) => l.attributes.whatsNew),
}));
