// graphql-http's server audits (its `serverAudits`) against the GraphQL endpoint named by the
// first argument, one audit at a time, each result printed as one line of JSON: id, name,
// status ("ok", "notice", "warn" or "error") and, for a failure, the reason and what the server
// answered. graphql-http is found through NODE_PATH (tests/graphql/test_graphql_http_audit.py).
"use strict";

const { serverAudits } = require("graphql-http");

const BODY_LIMIT = 2000; // characters of a failing answer's body worth showing

async function answerOf(response) {
  let body;
  try {
    body = (await response.clone().text()).slice(0, BODY_LIMIT);
  } catch (error) {
    body = `(the body could not be read again: ${error.message})`;
  }
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    body,
  };
}

async function main(url) {
  for (const audit of serverAudits({ url, fetchFn: fetch })) {
    const result = await audit.fn();
    const line = { id: result.id, name: result.name, status: result.status };
    if (result.status !== "ok") {
      line.reason = result.reason;
      line.answer = await answerOf(result.response);
    }
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
}

main(process.argv[2]).catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
