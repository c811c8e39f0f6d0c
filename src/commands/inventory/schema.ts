import {JwkrCommand} from '../../cli/base-command.js'
import {inventorySchema} from '../../core/inventory/inventory-schema.js'
import type {JsonSchema} from '../../playbook/types.js'

export default class InventorySchema extends JwkrCommand {
  static override summary = 'Print the JSON Schema of the inventory file.'
  static override description =
    'Save it and point your editor at it (for example with a `# yaml-language-server: $schema=inventory.schema.json` ' +
    'line at the top of jwkr.inventory.yaml) to get completion and errors while you write the inventory.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> > inventory.schema.json',
    '<%= config.bin %> <%= command.id %> --json | jq .properties.services',
  ]

  async run(): Promise<JsonSchema> {
    await this.parse(InventorySchema)
    if (!this.jsonEnabled()) this.log(JSON.stringify(inventorySchema, null, 2))
    return inventorySchema
  }
}
