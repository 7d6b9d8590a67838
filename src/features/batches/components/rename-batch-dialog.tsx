import { useId, useState } from 'react';
import { Button } from '../../../components/ui/button.tsx';
import { Dialog } from '../../../components/ui/dialog.tsx';
import { inputClasses, labelClasses } from '../../../components/ui/field.tsx';
import { errorSentence } from '../../../lib/error-messages.ts';
import { useRenameBatch } from '../api/update-batch.ts';

export function RenameBatchDialog({ batchId, currentName, open, onClose }: { batchId: string; currentName: string; open: boolean; onClose: () => void }) {
  return (
    <Dialog open={open} onClose={onClose} title="Rename batch" width="max-w-md">
      <RenameForm batchId={batchId} currentName={currentName} onClose={onClose} />
    </Dialog>
  );
}

function RenameForm({ batchId, currentName, onClose }: { batchId: string; currentName: string; onClose: () => void }) {
  const [name, setName] = useState(currentName);
  const id = useId();
  const rename = useRenameBatch();
  return (
    <form
      className="flex flex-col gap-3"
      onSubmit={(event) => {
        event.preventDefault();
        rename.mutate({ batchId, name: name.trim() }, { onSuccess: onClose });
      }}
    >
      <div>
        <label htmlFor={id} className={labelClasses}>
          Batch name
        </label>
        <input id={id} required value={name} onChange={(e) => setName(e.target.value)} className={`${inputClasses} mt-1`} autoFocus />
      </div>
      {rename.error && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          {errorSentence(rename.error)}
        </p>
      )}
      <div className="flex justify-end gap-2">
        <Button onClick={onClose}>Cancel</Button>
        <Button type="submit" variant="primary" disabled={!name.trim() || rename.isPending}>
          Save name
        </Button>
      </div>
    </form>
  );
}
