/** Names for the API's shapes, taken from the generated schema (so they follow the server). */
import type { paths } from './schema'

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never
type Data<T> = Json<T> extends { data: infer D } ? D : never

export type Transaction = Data<paths['/transactions']['get']['responses'][200]>[number]
export type TransactionDetail = Data<paths['/transactions/{id}']['get']['responses'][200]>
export type TransactionStatus = Transaction['status']
export type TransactionListMeta = Json<paths['/transactions']['get']['responses'][200]>['meta']
export type User = Data<paths['/users/{id}']['get']['responses'][200]>
export type Periode = Data<paths['/periodes']['get']['responses'][200]>[number]
export type Payment = Data<paths['/payments']['get']['responses'][200]>[number]
export type PeriodeReport = Data<paths['/reports/periodes/{id}']['get']['responses'][200]>
export type Summary = Data<paths['/reports/summary']['get']['responses'][200]>
export type MemberReport = Data<paths['/reports/members/{id}']['get']['responses'][200]>
export type ArrearsRow = Data<paths['/reports/arrears']['get']['responses'][200]>[number]
export type Reminder = Data<paths['/reminders']['get']['responses'][200]>[number]
export type Notification = Data<paths['/notifications']['get']['responses'][200]>[number]
export type AuditEntry = Data<paths['/audit']['get']['responses'][200]>[number]
export type Settings = Data<paths['/settings']['get']['responses'][200]>
export type Webhook = Data<paths['/webhooks']['get']['responses'][200]>[number]
export type WebhookDelivery = Data<paths['/webhooks/{id}/deliveries']['get']['responses'][200]>[number]
