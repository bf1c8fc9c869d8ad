/** Request and response schemas of /auth/*. */

import { USERNAME_PATTERN } from '../../lib/identity.js'
import { Envelope, Type } from '../../lib/schemas.js'
import { PASSWORD_MAX } from '../users/passwords.js'
import { UserOut, UserTypeIn } from '../users/users.schemas.js'

/** Length is checked by the password policy (it counts Unicode characters); this caps input size. */
const Password = Type.String({ minLength: 1, maxLength: PASSWORD_MAX * 4 })

export const RegisterBody = Type.Object({
  fullname: Type.String({ minLength: 1, maxLength: 100 }),
  username: Type.String({ minLength: 2, maxLength: 50, pattern: USERNAME_PATTERN }),
  email: Type.String({ minLength: 3, maxLength: 254 }),
  password: Password,
  phone_number: Type.Optional(Type.String({ maxLength: 30 })),
  domisili: Type.Optional(Type.String({ maxLength: 100 })),
  user_type: Type.Optional(UserTypeIn),
})
export const RegisterForm = Type.Object({
  ...RegisterBody.properties,
  image_profile: Type.Optional(Type.String({ format: 'binary', description: 'JPEG, PNG or WebP profile image' })),
})

export const LoginBody = Type.Object({
  identifier: Type.String({ minLength: 1, maxLength: 254, description: 'email, username or phone number' }),
  password: Password,
})

export const TokenPair = Type.Object({
  access_token: Type.String(),
  refresh_token: Type.String({
    description: 'empty for the console (X-Talangraga-Client: console), which receives it as an HttpOnly cookie',
  }),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer({ description: 'access token lifetime in seconds' }),
})
export const LoginResponse = Envelope(Type.Object({ ...TokenPair.properties, user: UserOut }))
export const TokenResponse = Envelope(TokenPair)
/**
 * The refresh answer carries the tokens twice: in `data` like every answer, and at the top level,
 * because the app's refresh handler decodes this body without the envelope (CLIENT.md) and logs
 * the user out when it finds no `access_token` there.
 */
export const RefreshResponse = Type.Object({ ...TokenResponse.properties, ...TokenPair.properties })
export const UserResponse = Envelope(UserOut)

export const RefreshBody = Type.Object({ refresh_token: Type.Optional(Type.String({ maxLength: 4096 })) })
export const LogoutQuery = Type.Object({
  scope: Type.Union([Type.Literal('local'), Type.Literal('others'), Type.Literal('global')], { default: 'local' }),
})

export const SessionOut = Type.Object({
  id: Type.String({ format: 'uuid' }),
  created_at: Type.String(),
  last_used_at: Type.String(),
  expires_at: Type.String(),
  ip_address: Type.Union([Type.String(), Type.Null()]),
  user_agent: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean(),
})
export const SessionIdParam = Type.Object({ id: Type.String({ format: 'uuid' }) })

export const ForgotBody = Type.Object({ email: Type.String({ minLength: 3, maxLength: 254 }) })
export const ResetBody = Type.Object({
  reset_token: Type.String({ minLength: 10, maxLength: 200 }),
  new_password: Password,
  confirm_new_password: Password,
})
export const ChangePasswordBody = Type.Object({
  current_password: Password,
  new_password: Password,
  confirm_new_password: Password,
})
