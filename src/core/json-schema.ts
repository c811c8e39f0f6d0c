// The JSON Schema type shared by every layer that validates a document (playbooks, the inventory,
// the denylist, step inputs and outputs). It lives in core so nothing below the playbook layer has
// to import the playbook to name it (ARCHITECTURE.md, Layers).

/** A JSON Schema (draft 2020-12 subset that ajv understands). */
export type JsonSchema = Record<string, unknown>
