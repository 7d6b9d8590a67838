import { Component, type ErrorInfo, type ReactNode } from 'react';
import { describeError } from '../../lib/error-messages.ts';
import { Button } from './button.tsx';

interface Props {
  children: ReactNode;
  /** Changing this (e.g. the route) clears a caught error. */
  resetKey?: string;
}

interface State {
  error: unknown;
  resetKey?: string;
}

/** Catches render errors of one page so the rest of the app (header, banners) stays on screen. */
export class ErrorBoundary extends Component<Props, State> {
  state: State = { error: null, resetKey: this.props.resetKey };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    return props.resetKey !== state.resetKey ? { error: null, resetKey: props.resetKey } : null;
  }

  componentDidCatch(error: unknown, info: ErrorInfo) {
    console.error('Page crashed', error, info.componentStack);
  }

  render() {
    if (this.state.error === null) return this.props.children;
    const { message, next } = describeError(this.state.error);
    return (
      <section role="alert" aria-label="This page failed" className="mx-auto mt-12 max-w-lg rounded-lg border border-red-300 p-6 dark:border-red-800">
        <h1 className="text-lg font-semibold">This page failed to show</h1>
        <p className="mt-2 text-sm">{message}</p>
        <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">{next}</p>
        <Button className="mt-4" onClick={() => this.setState({ error: null })}>
          Try again
        </Button>
      </section>
    );
  }
}
