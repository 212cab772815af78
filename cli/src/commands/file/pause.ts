import { Command, Option } from 'clipanion';
import { findContact, label } from '../../contacts.ts';
import { BaseCommand } from '../base.ts';

/**
 * `file pause` and `file resume`: a transfer an earlier command left (a `file send` that timed
 * out or was stopped) goes on with every later command that connects; pausing keeps it waiting
 * (the engine's pauseFile: the mark is stored, so it survives restarts), resuming lets the next
 * connecting command go on from the chunks the receiver acknowledged. Local: nothing is sent.
 */
abstract class FilePausingCommand extends BaseCommand {
  contact = Option.String({ name: 'contact' });
  fileId = Option.String({ name: 'file-id' });
  abstract readonly pause: boolean;

  protected async run(): Promise<number> {
    return this.local(async (s) => {
      const c = findContact(s.engine, this.contact);
      if (this.pause) await s.engine.pauseFile(c.key, this.fileId);
      else await s.engine.resumeFile(c.key, this.fileId);
      if (this.json) this.outJson({ [this.pause ? 'paused' : 'resumed']: { contact: { id: c.id, name: c.name }, fileId: this.fileId } });
      else if (this.pause) this.out(`Paused ${this.fileId} to ${label(c)}: no more of it is sent until \`file resume\`.`);
      else this.out(`Resumed ${this.fileId} to ${label(c)}: the next wschat command that connects (listen, chat, bridge, send) sends the rest.`);
      return 0;
    });
  }
}

export class FilePauseCommand extends FilePausingCommand {
  static override paths = [['file', 'pause']];
  static override usage = Command.Usage({
    category: 'Files',
    description: 'pause an outgoing file transfer',
    details: 'The transfer keeps what the receiver acknowledged and sends nothing more until `file resume`, across restarts. The file id is in `file send --json` output (`fileId`). The receiver is not told: it sees the transfer wait, and may cancel it.',
    examples: [['Pause a transfer to Bob', '$0 file pause bob 0f1e2d3c4b5a69788796a5b4c3d2e1f0']],
  });
  readonly pause = true;
}

export class FileResumeCommand extends FilePausingCommand {
  static override paths = [['file', 'resume']];
  static override usage = Command.Usage({
    category: 'Files',
    description: 'resume a paused file transfer',
    details: 'The next command that connects (listen, chat, bridge, send, file send) goes on from the chunks the receiver acknowledged.',
    examples: [['Resume a transfer to Bob', '$0 file resume bob 0f1e2d3c4b5a69788796a5b4c3d2e1f0']],
  });
  readonly pause = false;
}
