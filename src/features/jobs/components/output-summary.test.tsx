import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { OutputSummary } from './output-summary.tsx';

const zip = { fileName: 'report-3-outputs.zip', contentType: 'application/zip', fileCount: 3 };

describe('OutputSummary', () => {
  it('names the output with its type and file count', () => {
    render(<OutputSummary output={zip} expired={false} />);
    expect(screen.getByText('report-3-outputs.zip')).not.toHaveClass('line-through');
    expect(screen.getByText(/application\/zip, 3 files/)).toBeInTheDocument();
    expect(screen.queryByText('expired')).not.toBeInTheDocument();
  });

  it('strikes a known output through once it has expired', () => {
    render(<OutputSummary output={zip} expired />);
    expect(screen.getByText('report-3-outputs.zip')).toHaveClass('line-through');
    expect(screen.getByText('expired')).toBeInTheDocument();
  });

  it('says the output was deleted when the status no longer names it, instead of a bare dash', () => {
    render(<OutputSummary output={null} expired />);
    expect(screen.getByText('Expired: deleted by the Convert API')).toBeInTheDocument();
  });

  it('shows a dash when there is no output', () => {
    const { container } = render(<OutputSummary output={null} expired={false} />);
    expect(container).toHaveTextContent(/^—$/);
  });
});
