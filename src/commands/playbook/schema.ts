import {JwkrCommand} from '../../cli/base-command.js'
import {playbookSchema} from '../../playbook/playbook-schema.js'
import type {JsonSchema} from '../../playbook/types.js'

export default class PlaybookSchema extends JwkrCommand {
  static override summary = 'Print the JSON Schema of a playbook file.'
  static override description =
    'Save it and point your editor at it (for example with a `# yaml-language-server: $schema=playbook.schema.json` ' +
    'line at the top of a playbook) to get completion and errors while you write.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> > playbook.schema.json',
    '<%= config.bin %> <%= command.id %> --json | jq .properties.steps',
  ]

  async run(): Promise<JsonSchema> {
    await this.parse(PlaybookSchema)
    if (!this.jsonEnabled()) this.log(JSON.stringify(playbookSchema, null, 2))
    return playbookSchema
  }
}
