// Offline IAM policy evaluator for the pytest harness (tests/iam/evaluator.py).
//
// Test-only: built on @cloud-copilot/iam-simulate (AGPL-3.0-or-later), which is a
// devDependency used by the test suite and is never shipped with the CDK app.
//
// stdin:  JSON array of requests
// stdout: JSON array of results, same order, one per request
//
// Request:
//   {
//     "id": str,
//     "principal": str,                 // caller ARN or service principal, or {"type": "Anonymous"}
//     "action": str,                    // "s3:GetObject"
//     "resource": str,                  // ARN ("*" for wildcard-only actions)
//     "resourceAccount"?: str,          // default: account field of the resource ARN (required
//                                       // when the ARN has none, e.g. S3 buckets)
//     "context"?: {key: str | [str]},   // every context key, set explicitly by the caller; an array
//                                       // of 2+ values for a single-valued key is an Error
//     "identityPolicies"?: [policy],
//     "permissionBoundaries"?: [policy],
//     "resourcePolicy"?: policy,        // bucket/key policy, or role trust policy for sts:AssumeRole
//     "sessionPolicy"?: policy,
//     "scps"?: [level],                 // root first; level = [policy] | {"orgIdentifier"?, "policies": [policy]}
//     "rcps"?: [level],                 // same shape; RCPFullAWSAccess is added by the library
//     "vpcEndpointPolicies"?: [policy],
//     "additionalSettings"?: {"s3"?: {"blockPublicAccess"?: bool, "bucketAbacEnabled"?: bool}}
//   }
//   policy = a policy document, or {"name": str, "policy": document}
//
// Result:
//   {
//     "id", "result": "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" | "Error",
//     "missingOperators": [...],    // library signal: ConditionExplain.missingOperator === true
//     "unknownOperators": [...],    // harness static scan of every Condition block
//     "ignoredContextKeys": [...],  // context keys the library dropped as not applicable to the action
//     "sameAccount"?: bool,         // principal account (from its ARN) == resource account
//     "blockedBy"?: [...], "matchedStatements": {...}, "errors"?: [...]
//   }

import { isConditionKeyArray, runSimulation, typeForContextKey } from '@cloud-copilot/iam-simulate'

// Keep stdout clean for the JSON result, whatever the library might log.
for (const level of ['log', 'info', 'warn', 'debug']) {
  console[level] = (...args) => process.stderr.write(args.map(String).join(' ') + '\n')
}

const REQUEST_KEYS = new Set([
  'id',
  'principal',
  'action',
  'resource',
  'resourceAccount',
  'context',
  'identityPolicies',
  'permissionBoundaries',
  'resourcePolicy',
  'sessionPolicy',
  'scps',
  'rcps',
  'vpcEndpointPolicies',
  'additionalSettings'
])

// The AWS condition operators, exact spelling
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
const BASE_OPERATORS = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
  'Bool',
  'BinaryEquals',
  'IpAddress',
  'NotIpAddress',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
  'Null'
])
const SET_OPERATORS = new Set(['ForAllValues', 'ForAnyValue'])

function operatorProblem(operator) {
  let rest = operator
  const colon = rest.indexOf(':')
  if (colon !== -1) {
    const setOperator = rest.slice(0, colon)
    if (!SET_OPERATORS.has(setOperator)) return `unknown set operator ${setOperator}`
    rest = rest.slice(colon + 1)
  }
  let ifExists = false
  if (rest.endsWith('IfExists')) {
    ifExists = true
    rest = rest.slice(0, -'IfExists'.length)
  }
  if (!BASE_OPERATORS.has(rest)) return `unknown operator ${rest}`
  if (ifExists && rest === 'Null') return 'Null cannot take IfExists'
  return undefined
}

function asArray(value) {
  if (value === undefined || value === null) return []
  return Array.isArray(value) ? value : [value]
}

function named(policy, defaultName) {
  if (policy && typeof policy === 'object' && 'policy' in policy && !('Statement' in policy)) {
    return { name: policy.name ?? defaultName, policy: policy.policy }
  }
  return { name: defaultName, policy }
}

function orgLevels(levels, kind) {
  return asArray(levels).map((level, i) => {
    const raw = Array.isArray(level) ? { policies: level } : level
    return {
      orgIdentifier: raw.orgIdentifier ?? `${kind}-level-${i}`,
      policies: asArray(raw.policies).map((p, j) => named(p, `${kind}-${i}-${j}`))
    }
  })
}

function scanOperators(label, policy, out) {
  for (const [i, statement] of asArray(policy?.Statement).entries()) {
    const condition = statement?.Condition
    if (!condition || typeof condition !== 'object') continue
    for (const [operator, keys] of Object.entries(condition)) {
      const problem = operatorProblem(operator)
      if (problem) {
        out.push({
          policy: label,
          statement: statement.Sid ?? String(i + 1),
          operator,
          keys: keys && typeof keys === 'object' ? Object.keys(keys) : [],
          problem
        })
      }
    }
  }
}

const ANALYSIS_SECTIONS = [
  'sessionAnalysis',
  'identityAnalysis',
  'permissionBoundaryAnalysis',
  'resourceAnalysis',
  'endpointAnalysis'
]

function sectionsOf(analysis) {
  const sections = []
  for (const name of ANALYSIS_SECTIONS) {
    if (analysis[name]) sections.push([name.replace(/Analysis$/, ''), analysis[name]])
  }
  for (const kind of ['scp', 'rcp']) {
    for (const ou of analysis[`${kind}Analysis`]?.ouAnalysis ?? []) {
      sections.push([`${kind}:${ou.orgIdentifier}`, ou])
    }
  }
  return sections
}

function collect(analysis, missingOperators, matched) {
  for (const [section, data] of sectionsOf(analysis)) {
    for (const bucket of ['allowStatements', 'denyStatements', 'unmatchedStatements']) {
      for (const statement of data[bucket] ?? []) {
        const where = `${statement.policyId ?? section}#${statement.explain?.identifier}`
        if (bucket !== 'unmatchedStatements') {
          const key = bucket === 'allowStatements' ? 'allow' : 'deny'
          matched[section] ??= { allow: [], deny: [] }
          matched[section][key].push(where)
        }
        for (const condition of statement.explain?.conditions ?? []) {
          if (condition.missingOperator === true) {
            missingOperators.push({
              section,
              statement: where,
              operator: condition.operator,
              key: condition.conditionKeyValue
            })
          }
        }
      }
    }
  }
}

function resourceAccountFor(request) {
  if (request.resourceAccount) return String(request.resourceAccount)
  const parts = String(request.resource ?? '').split(':')
  if (parts.length >= 6 && parts[0] === 'arn' && parts[4]) return parts[4]
  return undefined
}

// The library silently keeps only the first element of an array given for a single-valued key,
// and does not check value types, so both are rejected here.
async function checkContext(context) {
  if (!context || typeof context !== 'object' || Array.isArray(context)) {
    return ['context must be an object of key: string | string[]']
  }
  const errors = []
  for (const [key, value] of Object.entries(context)) {
    const isStringArray = Array.isArray(value) && value.every((v) => typeof v === 'string')
    if (typeof value !== 'string' && !isStringArray) {
      errors.push(`context key ${key}: value must be a string or an array of strings`)
      continue
    }
    if (Array.isArray(value) && value.length !== 1) {
      let type
      try {
        type = await typeForContextKey(key)
      } catch {
        continue // unknown key: the library reports it in ignoredContextKeys
      }
      if (!isConditionKeyArray(type)) {
        errors.push(`context key ${key} is single-valued (${type}); got an array of ${value.length}`)
      }
    }
  }
  return errors
}

async function evaluateOne(request) {
  const id = request?.id
  const base = { id, missingOperators: [], unknownOperators: [], ignoredContextKeys: [] }
  const fail = (errors) => ({ ...base, result: 'Error', errors })

  if (!request || typeof request !== 'object' || Array.isArray(request)) {
    return fail(['request must be an object'])
  }
  const unknownKeys = Object.keys(request).filter((k) => !REQUEST_KEYS.has(k))
  if (unknownKeys.length > 0) return fail([`unknown request fields: ${unknownKeys.join(', ')}`])
  for (const field of ['principal', 'action', 'resource']) {
    if (request[field] === undefined) return fail([`missing request field: ${field}`])
  }
  const contextErrors = await checkContext(request.context ?? {})
  if (contextErrors.length > 0) return fail(contextErrors)
  const accountId = resourceAccountFor(request)
  if (!accountId) {
    return fail([`resourceAccount is required: no account in resource ARN ${request.resource}`])
  }

  const simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId },
      contextVariables: request.context ?? {}
    },
    identityPolicies: asArray(request.identityPolicies).map((p, i) => named(p, `identity-${i}`)),
    serviceControlPolicies: orgLevels(request.scps, 'scp'),
    resourceControlPolicies: orgLevels(request.rcps, 'rcp')
  }
  if (request.permissionBoundaries !== undefined) {
    simulation.permissionBoundaryPolicies = asArray(request.permissionBoundaries).map((p, i) =>
      named(p, `boundary-${i}`)
    )
  }
  if (request.resourcePolicy !== undefined) simulation.resourcePolicy = request.resourcePolicy
  if (request.sessionPolicy !== undefined) simulation.sessionPolicy = request.sessionPolicy
  if (request.vpcEndpointPolicies !== undefined) {
    simulation.vpcEndpointPolicies = asArray(request.vpcEndpointPolicies).map((p, i) =>
      named(p, `vpce-${i}`)
    )
  }
  if (request.additionalSettings !== undefined) {
    simulation.additionalSettings = request.additionalSettings
  }

  // Static scan: the library only flags a misspelled operator when the condition key is present
  // in the request context, so every Condition block is also checked here.
  for (const p of simulation.identityPolicies) scanOperators(p.name, p.policy, base.unknownOperators)
  for (const p of simulation.permissionBoundaryPolicies ?? []) {
    scanOperators(p.name, p.policy, base.unknownOperators)
  }
  for (const p of simulation.vpcEndpointPolicies ?? []) {
    scanOperators(p.name, p.policy, base.unknownOperators)
  }
  for (const level of [...simulation.serviceControlPolicies, ...simulation.resourceControlPolicies]) {
    for (const p of level.policies) scanOperators(p.name, p.policy, base.unknownOperators)
  }
  if (simulation.resourcePolicy) {
    scanOperators('resourcePolicy', simulation.resourcePolicy, base.unknownOperators)
  }
  if (simulation.sessionPolicy) {
    scanOperators('sessionPolicy', simulation.sessionPolicy, base.unknownOperators)
  }

  let response
  try {
    response = await runSimulation(simulation, { simulationMode: 'Strict' })
  } catch (error) {
    return fail([`runSimulation threw: ${error?.stack ?? error}`])
  }

  if (response.resultType === 'error') {
    return { ...base, result: 'Error', errors: [response.errors] }
  }

  const results = response.resultType === 'single' ? [response.result] : response.results
  const matched = {}
  const blockedBy = new Set()
  const ignored = new Set()
  for (const single of results) {
    collect(single.analysis, base.missingOperators, matched)
    for (const reason of single.analysis.blockedBy ?? []) blockedBy.add(reason)
    for (const key of single.ignoredContextKeys ?? []) ignored.add(key)
  }
  const out = {
    ...base,
    result: response.overallResult,
    resultType: response.resultType,
    sameAccount: results.length > 0 ? results.every((r) => r.analysis.sameAccount) : undefined,
    ignoredContextKeys: [...ignored],
    matchedStatements: matched
  }
  if (blockedBy.size > 0) out.blockedBy = [...blockedBy]
  if (response.resultType === 'wildcard') {
    out.patterns = response.results.map((r) => ({
      resourcePattern: r.resourcePattern,
      result: r.analysis.result
    }))
  }
  return out
}

async function readStdin() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

async function main() {
  let requests
  try {
    requests = JSON.parse(await readStdin())
  } catch (error) {
    process.stderr.write(`simulate.mjs: stdin is not valid JSON: ${error.message}\n`)
    process.exit(2)
  }
  if (!Array.isArray(requests)) {
    process.stderr.write('simulate.mjs: stdin must be a JSON array of requests\n')
    process.exit(2)
  }
  const results = []
  for (const request of requests) results.push(await evaluateOne(request))
  process.stdout.write(JSON.stringify(results))
}

await main()
