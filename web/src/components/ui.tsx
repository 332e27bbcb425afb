/** The console's small building blocks: headings, cards, field lists, hashes, states. */
import { type ReactNode, useState } from 'react';
import { shortHash } from '../lib/format.ts';

export function PageHeader({
  title,
  subtitle,
  actions,
}: {
  title: ReactNode;
  subtitle?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle ? <p className="page-subtitle">{subtitle}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </header>
  );
}

export function Card({
  title,
  actions,
  children,
  className,
  testId,
}: {
  title?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  testId?: string;
}) {
  return (
    <section className={`card ${className ?? ''}`} data-testid={testId}>
      {title || actions ? (
        <div className="card-header">
          {title ? <h2>{title}</h2> : <span />}
          {actions ? <div className="card-actions">{actions}</div> : null}
        </div>
      ) : null}
      <div className="card-body">{children}</div>
    </section>
  );
}

/** A two-column list of labelled values: `<Fields><Field label="Height">12</Field></Fields>`. */
export function Fields({ children }: { children: ReactNode }) {
  return <dl className="fields">{children}</dl>;
}

export function Field({ label, title, children }: { label: ReactNode; title?: string; children: ReactNode }) {
  return (
    <div className="field">
      <dt title={title}>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function CopyButton({ text, label = 'copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="copy"
      title={`Copy ${text}`}
      onClick={(event) => {
        event.preventDefault();
        event.stopPropagation();
        void navigator.clipboard?.writeText(text).then(() => {
          setCopied(true);
          setTimeout(() => setCopied(false), 1200);
        });
      }}
    >
      {copied ? 'copied' : label}
    </button>
  );
}

/** A hash or key: shortened (full on hover), optionally a link, with a copy button. */
export function Hash({
  value,
  href,
  full = false,
  copy = true,
  label,
  head,
}: {
  value: string;
  href?: string;
  full?: boolean;
  copy?: boolean;
  label?: string;
  /** Hex digits shown before the ellipsis. */
  head?: number;
}) {
  const text = label ?? (full ? value : shortHash(value, head));
  return (
    <span className={`hash ${full ? 'hash-full' : ''}`}>
      {href ? (
        <a href={href} title={value} className="mono">
          {text}
        </a>
      ) : (
        <span title={value} className="mono">
          {text}
        </span>
      )}
      {copy ? <CopyButton text={value} /> : null}
    </span>
  );
}

export type Tone = 'neutral' | 'good' | 'bad' | 'warn' | 'info' | 'accent';

export function Badge({
  tone = 'neutral',
  children,
  title,
}: {
  tone?: Tone;
  children: ReactNode;
  title?: string;
}) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

export function Dot({ tone, label }: { tone: Tone; label: string }) {
  return (
    <span className="dot-label">
      <span className={`dot dot-${tone}`} aria-hidden="true" />
      {label}
    </span>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {what}…
    </div>
  );
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  hint?: unknown;
}

/** Code, message and hint of an SDK error (a MeridianError), or the message of any other error. */
export function describeError(error: unknown): { code?: string; message: string; hint?: string } {
  if (error && typeof error === 'object') {
    const e = error as ErrorLike;
    return {
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
      message: typeof e.message === 'string' ? e.message : String(error),
      ...(typeof e.hint === 'string' ? { hint: e.hint } : {}),
    };
  }
  return { message: String(error) };
}

export function errorCode(error: unknown): string | undefined {
  return describeError(error).code;
}

export function ErrorNotice({
  error,
  title,
  onRetry,
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
}) {
  const { code, message, hint } = describeError(error);
  return (
    <div className="notice notice-bad" role="alert">
      <div className="notice-title">
        {title ?? 'Something went wrong'}
        {code ? <code className="notice-code">{code}</code> : null}
      </div>
      <div>{message}</div>
      {hint ? <div className="notice-hint">What to do: {hint}</div> : null}
      {onRetry ? (
        <button type="button" className="button button-small" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Empty({
  title,
  children,
  action,
}: {
  title: string;
  children?: ReactNode;
  action?: ReactNode;
}) {
  return (
    <div className="empty">
      <div className="empty-title">{title}</div>
      {children ? <div className="empty-text">{children}</div> : null}
      {action ? <div className="empty-action">{action}</div> : null}
    </div>
  );
}

export function Notice({
  tone = 'info',
  title,
  children,
}: {
  tone?: Tone;
  title?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className={`notice notice-${tone}`}>
      {title ? <div className="notice-title">{title}</div> : null}
      <div>{children}</div>
    </div>
  );
}

export function JsonBlock({ value, maxHeight }: { value: unknown; maxHeight?: number }) {
  return (
    <pre className="json" style={maxHeight ? { maxHeight } : undefined}>
      {value === undefined ? '—' : JSON.stringify(value, null, 2)}
    </pre>
  );
}

export function Tabs<T extends string>({
  tabs,
  active,
  onChange,
}: {
  tabs: readonly { id: T; label: ReactNode; href?: string }[];
  active: T;
  onChange?: (id: T) => void;
}) {
  return (
    <div className="tabs" role="tablist">
      {tabs.map((tab) =>
        tab.href ? (
          <a key={tab.id} href={tab.href} role="tab" aria-selected={tab.id === active} className="tab">
            {tab.label}
          </a>
        ) : (
          <button
            key={tab.id}
            type="button"
            role="tab"
            aria-selected={tab.id === active}
            className="tab"
            onClick={() => onChange?.(tab.id)}
          >
            {tab.label}
          </button>
        ),
      )}
    </div>
  );
}

/** A big number with a label, for the summary strips. */
export function Stat({
  label,
  value,
  detail,
  testId,
}: {
  label: string;
  value: ReactNode;
  detail?: ReactNode;
  testId?: string;
}) {
  return (
    <div className="stat" data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {detail ? <div className="stat-detail">{detail}</div> : null}
    </div>
  );
}
