import { StreamgateError } from '../../core/errors.js';
import type { RepositoryFactsNotConfigured } from '../../core/eligibility.js';
import type { Clock } from '../../core/ports.js';
import { grpcCode, isServerHiccup, isUnreachable } from '../grpc-errors.js';
import type { Logger } from '../logger.js';
import { describeFailure, isCannotAsk, isNoCredentials } from './grpc-failures.js';

/** Why there are no repository facts: the API could not be asked, or it is not configured. */
type NoFacts = 'unavailable' | RepositoryFactsNotConfigured;

/** ADC found nothing: the remedy is a credential, not a role. */
const NO_CREDENTIALS: RepositoryFactsNotConfigured = {
  notConfigured: {
    why: 'no Google credentials were found (Application Default Credentials)',
    remedy:
      'run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS (or, for a stand-in, ARTIFACT_REGISTRY_API_ENDPOINT)',
  },
};

/**
 * What a failed Artifact Registry call means, and the back-off after the default endpoint could not
 * be asked. An explicit (stand-in) endpoint that does not answer is transient; Google's endpoint
 * without access means judging without facts, warned once per instance.
 *
 * @example
 *   const failures = new FactsFailures({ explicit: false, backoffMs: 30_000, clock: systemClock, logger });
 *   try { … } catch (error) { return failures.onFailure(error, 'GetRepository r'); }
 */
export class FactsFailures {
  private unavailableUntil = 0;
  /** What to answer during the back-off: why the last call could not be made. */
  private cannotAsk: NoFacts = 'unavailable';
  private warned = false;

  constructor(
    private readonly options: { explicit: boolean; backoffMs: number; clock: Clock; logger: Logger },
  ) {}

  /** During the back-off, why there are no facts; otherwise undefined (go ahead and ask). */
  backingOff(): NoFacts | undefined {
    return !this.options.explicit && this.options.clock.now().getTime() < this.unavailableUntil
      ? this.cannotAsk
      : undefined;
  }

  /** Decides what a failed call means; returns why there are no facts, or throws. */
  onFailure(error: unknown, what: string): NoFacts {
    const { explicit, logger } = this.options;
    const fields = { rpc: what, grpcCode: grpcCode(error), error: describeFailure(error) };
    if (explicit && (isUnreachable(error) || isServerHiccup(error))) {
      throw unavailable(error, `Artifact Registry API did not answer ${what}: ${fields.error}`);
    }
    if (!explicit && isCannotAsk(error)) {
      this.unavailableUntil = this.options.clock.now().getTime() + this.options.backoffMs;
      this.cannotAsk = isNoCredentials(error) ? NO_CREDENTIALS : 'unavailable';
      // Once per instance: without access every launch would log the same thing.
      if (!this.warned)
        logger.warn('Artifact Registry API cannot be asked; judging without repository facts', fields);
      else logger.debug('Artifact Registry API cannot be asked', fields);
      this.warned = true;
      return this.cannotAsk;
    }
    if (!explicit && isServerHiccup(error)) {
      throw unavailable(error, `Artifact Registry API failed ${what}: ${fields.error}`);
    }
    logger.warn('Artifact Registry API refused the request; judging without repository facts', fields);
    return 'unavailable';
  }
}

function unavailable(error: unknown, message: string): StreamgateError {
  return new StreamgateError('ARTIFACT_REGISTRY_UNAVAILABLE', message, {
    kind: 'transient',
    cause: error,
    details: { grpcCode: grpcCode(error) },
  });
}
