import { useState } from "react";
import type { Factor } from "todo-rocket-client";

import { Spinner } from "../components/Spinner";
import { formatTime } from "../format";

const KIND: Record<Factor["kind"], string> = { totp: "Authenticator app", passkey: "Passkey" };

interface FactorListProps {
  factors: Factor[];
  /** The id of the factor being removed, if any. */
  removingId: string | null;
  onRemove(factor: Factor): void;
}

/** The account's second factors, each with a "Remove" that asks once more before it acts. */
export function FactorList({ factors, removingId, onRemove }: FactorListProps) {
  const [confirming, setConfirming] = useState<string | null>(null);
  return (
    <ul className="factor-list" aria-label="Your second factors">
      {factors.map((factor) => (
        <li key={factor.id} className="factor" data-testid="factor">
          <div className="factor__about" id={`factor-${factor.id}`}>
            <p className="factor__name">
              {factor.name}
              {factor.name !== KIND[factor.kind] && <span className="badge">{KIND[factor.kind]}</span>}
            </p>
            <p className="factor__times">
              Added {formatTime(factor.created_at)} · {factor.last_used_at ? `last used ${formatTime(factor.last_used_at)}` : "never used"}
            </p>
          </div>
          {confirming === factor.id ? (
            <div className="factor__confirm" role="group" aria-label={`Remove ${factor.name}?`}>
              <button
                type="button"
                className="button button--danger button--small"
                onClick={() => onRemove(factor)}
                disabled={removingId === factor.id}
                aria-describedby={`factor-${factor.id}`}
              >
                {removingId === factor.id && <Spinner />}
                Yes, remove it
              </button>
              <button type="button" className="button button--small" onClick={() => setConfirming(null)}>
                Keep it
              </button>
            </div>
          ) : (
            <button
              type="button"
              className="button button--small"
              onClick={() => setConfirming(factor.id)}
              aria-describedby={`factor-${factor.id}`}
            >
              Remove
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
