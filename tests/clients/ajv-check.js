#!/usr/bin/env node
// A second opinion on baosong's schemas: parse each YAML file as the editor does (the `yaml` package
// that yaml-language-server uses, YAML 1.2 core schema) and validate it with ajv (JSON Schema draft
// 2020-12, RFC 3339 date-time from ajv-formats).
//
// stdin: JSON [{"id": ..., "schema": "schema/report.schema.json" or null, "text": "<the YAML file>"}, ...]
// stdout: JSON [{"id": ..., "yaml_errors": [...], "data": <the parsed document>, "valid": bool,
//                "errors": [{"path": "/casualties/deaths", "keyword": "type", "message": ...}]}, ...]
'use strict';
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');

// Keywords the editor understands and ajv does not: annotations, registered so that ajv's strict mode
// still catches any other unknown (misspelt) keyword.
const EDITOR_KEYWORDS = [
  'markdownDescription', 'enumDescriptions', 'markdownEnumDescriptions', 'errorMessage',
  'patternErrorMessage', 'defaultSnippets', 'doNotSuggest', 'deprecationMessage', 'suggestSortText',
];

const root = path.resolve(__dirname, '..', '..');
const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictTuples: false, strictRequired: false, logger: false });
ajv.addVocabulary(EDITOR_KEYWORDS);
addFormats(ajv, ['date-time', 'uri']);
const validators = new Map();

function validator(schemaPath) {
  if (!validators.has(schemaPath)) {
    const schema = JSON.parse(fs.readFileSync(path.resolve(root, schemaPath), 'utf8'));
    validators.set(schemaPath, ajv.compile(schema));
  }
  return validators.get(schemaPath);
}

const jobs = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = [];
for (const job of jobs) {
  const doc = YAML.parseDocument(job.text, { version: '1.2', schema: 'core', uniqueKeys: true, prettyErrors: false });
  const result = { id: job.id, yaml_errors: doc.errors.map((e) => e.message) };
  if (!doc.errors.length) {
    const data = doc.toJS({ maxAliasCount: -1 });
    result.data = data;
    if (job.schema) {
      const validate = validator(job.schema);
      result.valid = validate(data);
      result.errors = (validate.errors || []).map((e) => ({ path: e.instancePath, keyword: e.keyword, message: e.message }));
    }
  }
  out.push(result);
}
process.stdout.write(JSON.stringify(out));
