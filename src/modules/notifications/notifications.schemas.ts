/** Wire schemas of the inbox and the notification settings. */
import { Envelope, ErrorEnvelope, Id, Instant, Meta, Nullable, Type } from '../../lib/schemas.js'

export const NotificationOut = Type.Object({
  id: Id,
  type: Type.String({
    enum: ['deposit.completed', 'deposit.rejected', 'deposit.needs_correction', 'reminder.due', 'member.target_reached'],
  }),
  title: Type.String(),
  body: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown(), { description: 'what it is about, e.g. {transaction_id, status, amount, reason}' }),
  read_at: Nullable(Instant),
  created_at: Instant,
})

export const InboxQuery = Type.Object({
  page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
  per_page: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
})

export const InboxResponse = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  data: Type.Array(NotificationOut),
  meta: Type.Object({ ...Meta.properties, unread: Type.Integer({ description: 'unread items of the whole inbox' }) }),
})

export const NotificationResponse = Envelope(NotificationOut)
export const ReadAllResponse = Envelope(Type.Object({ updated: Type.Integer({ description: 'items newly marked read' }) }))

export const NotificationSettings = Type.Object({ email: Type.Boolean({ description: 'send notifications by e-mail too' }) })
export const NotificationSettingsResponse = Envelope(NotificationSettings)

export { ErrorEnvelope }
