import { useId, useState } from 'react';
import { Button } from '../../../components/ui/button.tsx';
import { Dialog } from '../../../components/ui/dialog.tsx';
import { inputClasses, labelClasses } from '../../../components/ui/field.tsx';
import { errorSentence } from '../../../lib/error-messages.ts';
import { useAddIds } from '../../../lib/api/batch-ids.ts';
import { IdFeedback } from './id-feedback.tsx';

export function AddIdsDialog({ batchId, open, onClose }: { batchId: string; open: boolean; onClose: () => void }) {
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="Add job ids"
      description="Paste ids in any form: one per line, comma separated, CSV, JSON or log lines. Or import a .txt, .csv or .json file."
    >
      <AddIdsForm batchId={batchId} onClose={onClose} />
    </Dialog>
  );
}

function AddIdsForm({ batchId, onClose }: { batchId: string; onClose: () => void }) {
  const [text, setText] = useState('');
  const textId = useId();
  const fileId = useId();
  const addIds = useAddIds(batchId);

  async function importFile(file: File | undefined) {
    if (!file) return;
    const content = await file.text();
    setText((current) => (current ? `${current}\n${content}` : content));
  }

  return (
    <form
      className="flex flex-col gap-3"
      onSubmit={(event) => {
        event.preventDefault();
        addIds.mutate(text);
      }}
    >
      <div>
        <label htmlFor={textId} className={labelClasses}>
          Job ids to add
        </label>
        <textarea
          id={textId}
          value={text}
          onChange={(event) => setText(event.target.value)}
          rows={8}
          spellCheck={false}
          className={`${inputClasses} mt-1 font-mono text-xs`}
          placeholder="019c56457340753ba9441d7b4e6516a0"
        />
      </div>
      <div>
        <label htmlFor={fileId} className={labelClasses}>
          Import ids from a file
        </label>
        <input
          id={fileId}
          type="file"
          accept=".txt,.csv,.json,text/plain,text/csv,application/json"
          onChange={(event) => void importFile(event.target.files?.[0])}
          className="mt-1 block w-full text-sm text-slate-600 file:mr-3 file:rounded-md file:border-0 file:bg-slate-100 file:px-3 file:py-1.5 file:text-sm file:font-medium dark:text-slate-400 dark:file:bg-slate-800 dark:file:text-slate-200"
        />
      </div>
      {addIds.data && <IdFeedback result={addIds.data} />}
      {addIds.error && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          {errorSentence(addIds.error)}
        </p>
      )}
      <div className="flex justify-end gap-2">
        <Button onClick={onClose}>{addIds.data ? 'Done' : 'Cancel'}</Button>
        <Button type="submit" variant="primary" disabled={!text.trim() || addIds.isPending}>
          {addIds.isPending ? 'Adding…' : 'Add ids'}
        </Button>
      </div>
    </form>
  );
}
