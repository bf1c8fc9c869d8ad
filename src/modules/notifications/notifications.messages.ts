/**
 * What a notification says: a short Indonesian title and body for the inbox (the app is in
 * Indonesian), and the e-mail: plain, friendly Indonesian text with the English version below it.
 * Each says which deposit, how much, the reason, and what to do next.
 */
export type NotificationType =
  | 'deposit.completed'
  | 'deposit.rejected'
  | 'deposit.needs_correction'
  | 'reminder.due'
  | 'member.target_reached'

export interface Rendered {
  title: string
  body: string
  mail: { subject: string; text: string }
}

/** `1500000.5` -> `Rp 1.500.000,50`, from the exact decimal text (no float rounding). */
export function rupiah(amount: string | number): string {
  const [whole = '0', cents] = String(amount).split('.')
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, '.')
  const frac = cents && Number(cents) !== 0 ? `,${cents.padEnd(2, '0').slice(0, 2)}` : ''
  return `Rp ${grouped}${frac}`
}

export interface DepositFacts {
  id: number
  amount: string
  /** Local date of the deposit, e.g. `10-02-2025`. */
  date: string
  periode: string | null
  reason: string | null
}

function mail(greetingName: string, id: string, en: string, subject: string) {
  return {
    subject,
    text: `Assalamu'alaikum ${greetingName},\n\n${id}\n\nSalam,\nBendahara Talangraga Umroh\n\n---- English ----\n\nDear ${greetingName},\n\n${en}\n\nKind regards,\nTalangraga Umroh treasurer\n`,
  }
}

export function renderDeposit(
  type: 'deposit.completed' | 'deposit.rejected' | 'deposit.needs_correction',
  name: string,
  d: DepositFacts,
): Rendered {
  const what = `setoran #${d.id} sebesar ${rupiah(d.amount)} tanggal ${d.date}${d.periode ? ` (periode ${d.periode})` : ''}`
  const whatEn = `deposit #${d.id} of ${rupiah(d.amount)} dated ${d.date}${d.periode ? ` (periode ${d.periode})` : ''}`
  const reason = d.reason ?? '-'
  if (type === 'deposit.completed') {
    return {
      title: 'Setoran diverifikasi',
      body: `Alhamdulillah, ${what} telah diverifikasi dan tercatat sebagai tabungan.`,
      mail: mail(
        name,
        `Alhamdulillah, ${what} telah diverifikasi oleh bendahara dan tercatat sebagai tabungan Umroh Anda. Tidak ada yang perlu Anda lakukan.`,
        `Your ${whatEn} has been verified by the treasurer and is now counted in your Umroh savings. Nothing else to do.`,
        `Setoran diverifikasi / Deposit verified: ${rupiah(d.amount)}`,
      ),
    }
  }
  if (type === 'deposit.rejected') {
    return {
      title: 'Setoran ditolak',
      body: `Mohon maaf, ${what} ditolak. Alasan: ${reason}`,
      mail: mail(
        name,
        `Mohon maaf, ${what} ditolak oleh bendahara.\n\nAlasan: ${reason}\n\nJika menurut Anda ini keliru, silakan hubungi bendahara, atau laporkan setoran baru dengan bukti transfer yang benar di aplikasi.`,
        `We are sorry: your ${whatEn} was rejected by the treasurer.\n\nReason: ${reason}\n\nIf you think this is a mistake, please contact the treasurer, or report a new deposit with the correct receipt in the app.`,
        `Setoran ditolak / Deposit rejected: ${rupiah(d.amount)}`,
      ),
    }
  }
  return {
    title: 'Setoran perlu diperbaiki',
    body: `${what[0]?.toUpperCase()}${what.slice(1)} perlu diperbaiki. Alasan: ${reason}`,
    mail: mail(
      name,
      `${what[0]?.toUpperCase()}${what.slice(1)} perlu diperbaiki sebelum bisa diverifikasi.\n\nAlasan: ${reason}\n\nSilakan buka setoran ini di aplikasi, perbaiki datanya atau unggah ulang bukti transfer, lalu kirim kembali.`,
      `Your ${whatEn} needs a correction before it can be verified.\n\nReason: ${reason}\n\nPlease open this deposit in the app, fix the details or upload the receipt again, and send it back.`,
      `Setoran perlu diperbaiki / Deposit needs correction: ${rupiah(d.amount)}`,
    ),
  }
}

export function renderReminder(name: string, periode: string, missing: string): Rendered {
  return {
    title: 'Pengingat setoran',
    body: `Setoran periode ${periode} masih kurang ${rupiah(missing)}.`,
    mail: mail(
      name,
      `Ini pengingat bahwa setoran Anda untuk periode ${periode} masih kurang ${rupiah(missing)}.\n\nSilakan lakukan setoran dan laporkan di aplikasi beserta bukti transfernya. Jika Anda sudah menyetor, abaikan pesan ini; bendahara akan segera memverifikasinya.`,
      `This is a reminder that your deposits for periode ${periode} are ${rupiah(missing)} short.\n\nPlease make a deposit and report it in the app with its receipt. If you already have, please ignore this message; the treasurer will verify it soon.`,
      `Pengingat setoran / Savings reminder: periode ${periode}`,
    ),
  }
}

export function renderTargetReached(name: string, target: string, saved: string): Rendered {
  return {
    title: 'Target tabungan tercapai',
    body: `Selamat! Tabungan Anda ${rupiah(saved)} telah mencapai target ${rupiah(target)}.`,
    mail: mail(
      name,
      `Selamat! Tabungan Umroh Anda kini ${rupiah(saved)} dan telah mencapai target ${rupiah(target)}. Bendahara akan menghubungi Anda untuk langkah berikutnya.`,
      `Congratulations! Your Umroh savings are now ${rupiah(saved)} and have reached your target of ${rupiah(target)}. The treasurer will contact you about the next steps.`,
      'Target tabungan tercapai / Savings target reached',
    ),
  }
}
