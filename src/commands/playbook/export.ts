import {Args, Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {toCacao, writeCacaoFile, type CacaoPlaybook} from '../../playbook/cacao.js'
import {registerPlaybookSecrets, resolvePlaybook} from '../../playbook/load-playbook.js'
import {createRegistry} from '../../playbook/registry.js'
import {builtinSteps} from '../../playbook/steps/index.js'
import {prose} from '../../core/prose.js'

export interface PlaybookExportFile {
  format: 'cacao'
  out: string
  id: string
}

export default class PlaybookExport extends JwkrCommand {
  static override summary = 'Export a playbook for other tools (OASIS CACAO 2.0).'
  static override description = prose`
    Writes the playbook as an OASIS CACAO Security Playbooks 2.0 JSON document, for SOAR platforms and for sharing:
    each step becomes an action step (a manual command for approvals and confirmations), conditions become
    if-condition steps, and onFailure decides where a failure leads. The same playbook always exports to the same
    ids.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> leaked-signing-key --format cacao',
    '<%= config.bin %> <%= command.id %> ./my-playbook.yaml --format cacao --out my-playbook.cacao.json',
    '<%= config.bin %> <%= command.id %> inspect-only --json',
  ]
  static override args = {playbook: Args.string({required: true, description: 'A built-in playbook name or a playbook file.'})}
  static override flags = {
    format: Flags.string({char: 'f', options: ['cacao'], default: 'cacao', description: 'The format to write.'}),
    out: Flags.string({char: 'o', description: 'Write to this file (atomically) instead of stdout.'}),
  }

  async run(): Promise<CacaoPlaybook | PlaybookExportFile> {
    const {args, flags} = await this.parse(PlaybookExport)
    const registry = createRegistry(builtinSteps())
    const playbook = await resolvePlaybook(args.playbook, registry)
    registerPlaybookSecrets({inputs: playbook.inputs, steps: playbook.steps}, this.secrets)
    const document = this.secrets.redactValue(toCacao(playbook, registry, {now: new Date()}))
    if (flags.out === undefined) {
      if (!this.jsonEnabled()) this.log(JSON.stringify(document, null, 2))
      return document
    }
    await writeCacaoFile(flags.out, document)
    if (!this.jsonEnabled()) this.log(`Wrote the CACAO 2.0 playbook ${document.id} to ${flags.out}`)
    return {format: 'cacao', out: flags.out, id: document.id}
  }
}
