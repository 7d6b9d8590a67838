import { useId, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import type { CreateBatchResponse } from '../../../../contract/dashboard-api.ts';
import { Button, buttonClasses } from '../../../components/ui/button.tsx';
import { Dialog } from '../../../components/ui/dialog.tsx';
import { inputClasses, labelClasses } from '../../../components/ui/field.tsx';
import { paths } from '../../../config/paths.ts';
import { errorSentence } from '../../../lib/error-messages.ts';
import { useCreateBatch } from '../api/create-batch.ts';
import { IdFeedback } from './id-feedback.tsx';

export function CreateBatchDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  return (
    <Dialog open={open} onClose={onClose} title="Create batch" description="A named list of Convert API job ids. Start empty or paste ids from your logs.">
      <CreateBatchForm onClose={onClose} />
    </Dialog>
  );
}

function CreateBatchForm({ onClose }: { onClose: () => void }) {
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [ids, setIds] = useState('');
  const [created, setCreated] = useState<CreateBatchResponse | null>(null);
  const nameId = useId();
  const idsId = useId();
  const create = useCreateBatch();

  if (created) {
    return (
      <div className="flex flex-col gap-3">
        <p className="text-sm">
          Batch <strong>{created.batch.name}</strong> created.
        </p>
        {created.ids && <IdFeedback result={created.ids} />}
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>Close</Button>
          <Link to={paths.batch.getHref(created.batch.id)} className={buttonClasses('primary')}>
            Open batch
          </Link>
        </div>
      </div>
    );
  }

  return (
    <form
      className="flex flex-col gap-3"
      onSubmit={(event) => {
        event.preventDefault();
        const text = ids.trim();
        create.mutate(
          { name: name.trim(), ...(text ? { ids: text } : {}) },
          {
            onSuccess: (result) => {
              if (result.ids) setCreated(result);
              else void navigate(paths.batch.getHref(result.batch.id));
            },
          },
        );
      }}
    >
      <div>
        <label htmlFor={nameId} className={labelClasses}>
          Batch name
        </label>
        <input id={nameId} required value={name} onChange={(e) => setName(e.target.value)} className={`${inputClasses} mt-1`} placeholder="Invoices March" autoFocus />
      </div>
      <div>
        <label htmlFor={idsId} className={labelClasses}>
          Job ids (optional)
        </label>
        <textarea id={idsId} rows={6} value={ids} onChange={(e) => setIds(e.target.value)} spellCheck={false} className={`${inputClasses} mt-1 font-mono text-xs`} />
      </div>
      {create.error && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          {errorSentence(create.error)}
        </p>
      )}
      <div className="flex justify-end gap-2">
        <Button onClick={onClose}>Cancel</Button>
        <Button type="submit" variant="primary" disabled={!name.trim() || create.isPending}>
          {create.isPending ? 'Creating…' : 'Create batch'}
        </Button>
      </div>
    </form>
  );
}
