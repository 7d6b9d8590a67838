import { useMediaQuery } from '../../lib/use-media-query.ts';

/**
 * The job table's three layouts: a card per job on a phone, a condensed two-line table on a tablet, one column
 * per field from a laptop up. The CSS of job-row.tsx switches at Tailwind's `md` and `xl` breakpoints; these
 * queries are the same widths, so the virtualiser knows each row's height without measuring it.
 */
export type RowLayout = 'card' | 'condensed' | 'full';

export const ROW_HEIGHTS: Record<RowLayout, number> = {
  card: 132,
  condensed: 56,
  // 12 rows and the page's header fit a 1280×800 window.
  full: 40,
};

const MD = '(min-width: 768px)';
const XL = '(min-width: 1280px)';

export function useRowLayout(): RowLayout {
  const md = useMediaQuery(MD);
  const xl = useMediaQuery(XL);
  return xl ? 'full' : md ? 'condensed' : 'card';
}
