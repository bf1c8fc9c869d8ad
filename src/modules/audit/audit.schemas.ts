/** Audit entries as the API shows them, and the filters of GET /audit and /audit.csv. */
import { Id, Instant, InstantIn, ListEnvelope, Nullable, Type } from '../../lib/schemas.js'

export const ENTITIES = ['transaction', 'user', 'periode', 'payment', 'settings', 'webhook'] as const
export type AuditEntity = (typeof ENTITIES)[number]

const Entity = Type.Union(
  ENTITIES.map((e) => Type.Literal(e)),
  { description: 'What was changed' },
)

const filters = {
  actor_id: Type.Optional(Id),
  entity: Type.Optional(Entity),
  entity_id: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
  from: Type.Optional(InstantIn),
  to: Type.Optional(InstantIn),
}
export const AuditCsvQuery = Type.Object(filters)
export const AuditQuery = Type.Object({
  ...filters,
  page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
  per_page: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
})

/** Any JSON value: the state of the entity (or the changed fields) before or after the change. */
const State = Type.Unknown({ description: 'JSON: the values before or after the change (null when there were none)' })

export const AuditEntryOut = Type.Object({
  id: Id,
  actor: Type.Union([Type.Object({ id: Id, fullname: Type.String() }), Type.Null()], {
    description: 'null for the system or a removed user',
  }),
  action: Type.String({ description: 'e.g. transaction.status_changed, user.role_changed, settings.updated' }),
  entity: Type.String(),
  entity_id: Nullable(Type.Integer()),
  before: State,
  after: State,
  created_at: Instant,
})
export const AuditListResponse = ListEnvelope(AuditEntryOut)
