import type { ReplicaPeers } from '../../plugins/peers.js';
import { protocolNeededFor, type ConnectionInfo, type Propagation, type StreamHub } from './stream.hub.js';

/** Which replicas a fleet-wide answer covers. */
export interface ReplicaCoverage {
  /** Replicas whose SDKs are counted, this one included. */
  readonly answered: number;
  /** Replicas that got the question, this one included; null when the others could not be asked (Redis unreachable). */
  readonly of: number | null;
}

/** Propagation over every replica's SDKs; `lagging` entries name the replica they are connected to. */
export interface FleetPropagation extends Omit<Propagation, 'lagging'> {
  readonly lagging: readonly (Propagation['lagging'][number] & { readonly replica: string })[];
  readonly replicas: ReplicaCoverage;
}

/** The SDKs of every replica, as `GET /api/v1/sdk/connections`, `?waitForSdks=` and protocol warnings see them. */
export interface SdkFleet {
  /** This replica's id. */
  readonly replica: string;
  connections(environment?: string): Promise<{ connections: ConnectionInfo[]; replicas: ReplicaCoverage }>;
  waitForAcks(environments: readonly string[] | 'all', revision: number, timeoutMs: number): Promise<FleetPropagation>;
  /** SDKs of `environment`, on any replica, whose protocol is older than what `operators` need. */
  sdksThatCannotEvaluate(environment: string, operators: ReadonlySet<string>): Promise<ConnectionInfo[]>;
  /** Stops answering other replicas. */
  stop(): void;
}

/** How long the other replicas get for a connections list. */
const CONNECTIONS_TIMEOUT_MS = 2000;
/** What an asker adds to the wait it asked the other replicas for: their answer's trip through Redis. */
const ANSWER_GRACE_MS = 1000;

type PeerPropagation = Propagation & { readonly replica: string };

function isConnections(value: unknown): value is ConnectionInfo[] {
  return Array.isArray(value) && value.every((c) => typeof c === 'object' && c !== null && typeof (c as ConnectionInfo).id === 'string' && typeof (c as ConnectionInfo).environment === 'string');
}

function isPropagation(value: unknown): value is PeerPropagation {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as PeerPropagation;
  return typeof p.replica === 'string' && typeof p.applied === 'number' && typeof p.total === 'number' && Array.isArray(p.lagging);
}

/**
 * Fleet-wide views over this replica's hub and, through `peers`, every other replica's: a responder
 * behind a load balancer sees all SDKs, not only those of the replica that answered. Without peers
 * (one replica, no Redis) it is the local hub. Each replica answers the others from its own hub.
 */
export function createSdkFleet(hub: StreamHub, replica: string, peers: ReplicaPeers | undefined): SdkFleet {
  const coverage = (asked: number | null, answered: number): ReplicaCoverage => ({ answered: 1 + answered, of: asked === null ? null : 1 + asked });
  const stop =
    peers?.answer(async (question): Promise<unknown> => {
      if (question.kind === 'connections') return hub.connections(question.environment);
      return { ...(await hub.waitForAcks(question.environments, question.revision, question.timeoutMs)), replica };
    }) ?? (() => undefined);

  const fleet: SdkFleet = {
    replica,
    async connections(environment) {
      const local = hub.connections(environment);
      if (peers === undefined) return { connections: local, replicas: { answered: 1, of: 1 } };
      const { asked, answers } = await peers.ask(environment === undefined ? { kind: 'connections' } : { kind: 'connections', environment }, CONNECTIONS_TIMEOUT_MS);
      const lists = answers.filter(isConnections);
      return { connections: [...local, ...lists.flat()], replicas: coverage(asked, lists.length) };
    },

    async waitForAcks(environments, revision, timeoutMs) {
      const started = Date.now();
      const asking = peers?.ask({ kind: 'acks', environments, revision, timeoutMs }, timeoutMs + ANSWER_GRACE_MS);
      const local = await hub.waitForAcks(environments, revision, timeoutMs);
      const { asked, answers } = asking === undefined ? { asked: 0, answers: [] } : await asking;
      const all: PeerPropagation[] = [{ ...local, replica }, ...answers.filter(isPropagation)];
      return {
        revision,
        applied: all.reduce((sum, p) => sum + p.applied, 0),
        total: all.reduce((sum, p) => sum + p.total, 0),
        waitedMs: Date.now() - started,
        lagging: all.flatMap((p) => p.lagging.map((entry) => ({ ...entry, replica: p.replica }))),
        replicas: coverage(asked, all.length - 1),
      };
    },

    async sdksThatCannotEvaluate(environment, operators) {
      if (peers === undefined) return hub.sdksThatCannotEvaluate(environment, operators);
      const needed = protocolNeededFor(operators);
      return (await fleet.connections(environment)).connections.filter((c) => c.protocol < needed);
    },

    stop,
  };
  return fleet;
}
