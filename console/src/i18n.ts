/**
 * Bahasa Indonesia by default, English on request (the choice is kept in localStorage). Messages
 * from the API are never translated: they are shown as the API sends them.
 */
import { store, useStore } from './store'

export type Lang = 'id' | 'en'

const saved = (() => {
  try {
    return localStorage.getItem('tg-lang')
  } catch {
    return null
  }
})()
export const language = store<Lang>(saved === 'en' ? 'en' : 'id')

export function setLanguage(lang: Lang) {
  try {
    localStorage.setItem('tg-lang', lang)
  } catch {
    // private mode: the choice lasts for this visit
  }
  document.documentElement.lang = lang
  language.set(lang)
}
document.documentElement.lang = language.get()

const M = {
  appName: ['Konsol Bendahara', "Treasurer's console"],
  signIn: ['Masuk', 'Sign in'],
  signOut: ['Keluar', 'Sign out'],
  identifier: ['Email, nama pengguna, atau nomor HP', 'Email, username or phone number'],
  password: ['Kata sandi', 'Password'],
  signingIn: ['Sedang masuk…', 'Signing in…'],
  adminsOnly: [
    'Konsol ini khusus bendahara (admin) dan auditor. Akun ini anggota.',
    'This console is for treasurers (admins) and auditors. This account is a member.',
  ],
  forgot: ['Lupa kata sandi?', 'Forgot password?'],
  forgotTitle: ['Atur ulang kata sandi', 'Reset password'],
  email: ['Email', 'Email'],
  sendCode: ['Kirim tautan', 'Send link'],
  resetCode: ['Kode atur ulang', 'Reset code'],
  newPassword: ['Kata sandi baru', 'New password'],
  confirmPassword: ['Ulangi kata sandi baru', 'Repeat new password'],
  setPassword: ['Simpan kata sandi', 'Save password'],
  backToSignIn: ['Kembali ke halaman masuk', 'Back to sign in'],
  language: ['Bahasa', 'Language'],
  nav: ['Navigasi utama', 'Main navigation'],
  dashboard: ['Ringkasan', 'Dashboard'],
  queue: ['Antrian verifikasi', 'Verification queue'],
  deposits: ['Setoran', 'Deposits'],
  cashDeposit: ['Catat setoran tunai', 'Record cash deposit'],
  batchDeposit: ['Setoran gabungan', 'Batch deposit'],
  members: ['Anggota', 'Members'],
  periodes: ['Periode', 'Periodes'],
  payments: ['Metode pembayaran', 'Payment methods'],
  board: ['Papan periode', 'Periode board'],
  exportCsv: ['Unduh CSV', 'Download CSV'],
  loading: ['Memuat…', 'Loading…'],
  retry: ['Coba lagi', 'Retry'],
  save: ['Simpan', 'Save'],
  saving: ['Menyimpan…', 'Saving…'],
  cancel: ['Batal', 'Cancel'],
  edit: ['Ubah', 'Edit'],
  create: ['Tambah', 'Create'],
  search: ['Cari', 'Search'],
  name: ['Nama', 'Name'],
  fullname: ['Nama lengkap', 'Full name'],
  username: ['Nama pengguna', 'Username'],
  phone: ['Nomor HP', 'Phone number'],
  domisili: ['Domisili', 'Home town'],
  role: ['Peran', 'Role'],
  member: ['Anggota', 'Member'],
  admin: ['Admin', 'Admin'],
  auditor: ['Auditor (hanya baca)', 'Auditor (read only)'],
  active: ['Aktif', 'Active'],
  inactive: ['Nonaktif', 'Inactive'],
  status: ['Status', 'Status'],
  savingsTarget: ['Target tabungan', 'Savings target'],
  deactivate: ['Nonaktifkan', 'Deactivate'],
  activate: ['Aktifkan', 'Activate'],
  newMember: ['Anggota baru', 'New member'],
  editMember: ['Ubah anggota', 'Edit member'],
  passwordBlankKeeps: ['Kosongkan agar tidak berubah', 'Leave blank to keep'],
  amount: ['Jumlah', 'Amount'],
  date: ['Tanggal', 'Date'],
  depositDate: ['Tanggal setor', 'Deposit date'],
  periode: ['Periode', 'Periode'],
  payment: ['Metode', 'Method'],
  none: ['(tidak ada)', '(none)'],
  owner: ['Anggota', 'Member'],
  reportedBy: ['Dilaporkan oleh', 'Reported by'],
  reportedAt: ['Dilaporkan', 'Reported'],
  confirmedBy: ['Diverifikasi oleh', 'Verified by'],
  history: ['Riwayat', 'History'],
  receipt: ['Bukti transfer', 'Receipt'],
  noReceipt: ['Tanpa bukti (tunai)', 'No receipt (cash)'],
  openReceipt: ['Buka bukti di tab baru', 'Open the receipt in a new tab'],
  duplicate: ['Bukti sama dengan setoran #{id}', 'Same receipt as deposit #{id}'],
  complete: ['Selesaikan', 'Complete'],
  reject: ['Tolak', 'Reject'],
  process: ['Proses', 'Mark in process'],
  reason: [
    'Alasan untuk anggota (wajib untuk minta perbaikan atau menolak)',
    'Reason for the member (required to ask for a correction or reject)',
  ],
  reasonRequired: ['Tulis alasannya dulu, lalu tekan Enter.', 'Write the reason first, then press Enter.'],
  enterSends: ['Enter di kolom ini: {action}', 'Enter in this field: {action}'],
  needsCorrection: ['Minta perbaikan', 'Ask for a correction'],
  statusNote: ['Catatan status', 'Status note'],
  st_needs_correction: ['Perlu perbaikan', 'Needs correction'],
  queueEmpty: ['Tidak ada setoran yang menunggu. 🎉', 'No deposits waiting. 🎉'],
  queueCount: ['{n} setoran menunggu, terlama di atas', '{n} deposits waiting, oldest first'],
  shortcuts: [
    'Pintasan: J/K atau ↓/↑ pilih · C selesaikan · P proses · N minta perbaikan / R tolak: tulis alasan lalu Enter · X tandai · Enter buka detail · Esc kembali ke daftar',
    'Shortcuts: J/K or ↓/↑ select · C complete · P in process · N ask for a correction / R reject: type the reason, then Enter · X mark · Enter open detail · Esc back to the list',
  ],
  alreadyHandled: ['Setoran ini sudah ditangani: {status}{by}.', 'This deposit was already handled: {status}{by}.'],
  handledBy: [' oleh {name}', ' by {name}'],
  done: ['Berhasil: {message}', 'Done: {message}'],
  selectDeposit: ['Pilih setoran di daftar', 'Select a deposit in the list'],
  st_sent: ['Terkirim', 'Sent'],
  st_on_process: ['Diproses', 'In process'],
  st_completed: ['Selesai', 'Completed'],
  st_rejected: ['Ditolak', 'Rejected'],
  st_pending: ['Menunggu', 'Pending'],
  allStatuses: ['Semua status', 'All statuses'],
  allPeriodes: ['Semua periode', 'All periodes'],
  allMembers: ['Semua anggota', 'All members'],
  filter: ['Saring', 'Filter'],
  total: ['Total', 'Total'],
  completedTotal: ['Total selesai', 'Completed total'],
  pendingTotal: ['Total menunggu', 'Pending total'],
  rejectedTotal: ['Total ditolak', 'Rejected total'],
  detail: ['Detail', 'Detail'],
  depositNo: ['Setoran #{id}', 'Deposit #{id}'],
  recordCashHelp: [
    'Setoran yang diterima langsung oleh bendahara. Bukti boleh kosong.',
    'A deposit the treasurer received in person. A receipt is optional.',
  ],
  file: ['Bukti (opsional: JPEG, PNG, WebP, PDF)', 'Receipt (optional: JPEG, PNG, WebP, PDF)'],
  recorded: ['Tercatat: setoran #{id}', 'Recorded: deposit #{id}'],
  allocations: ['Pembagian per anggota', 'Allocation per member'],
  addRow: ['Tambah baris', 'Add row'],
  removeRow: ['Hapus baris', 'Remove row'],
  chooseMember: ['Pilih anggota', 'Choose a member'],
  periodeName: ['Nama periode', 'Periode name'],
  startDate: ['Mulai', 'Start'],
  endDate: ['Selesai', 'End'],
  target: ['Target per anggota', 'Target per member'],
  newPeriode: ['Periode baru', 'New periode'],
  delete: ['Hapus', 'Delete'],
  confirmDelete: ['Hapus {name}?', 'Delete {name}?'],
  paymentName: ['Nama metode', 'Method name'],
  paymentType: ['Jenis', 'Type'],
  accountNumber: ['Nomor rekening', 'Account number'],
  accountHolder: ['Atas nama', 'Account holder'],
  newPayment: ['Metode baru', 'New method'],
  paid: ['Sudah bayar', 'Paid'],
  unpaid: ['Belum bayar', 'Not paid'],
  reachedTarget: ['Capai target', 'Reached target'],
  progress: ['Kemajuan', 'Progress'],
  completed: ['Selesai', 'Completed'],
  pending: ['Menunggu', 'Pending'],
  choosePeriode: ['Pilih periode', 'Choose a periode'],
  unpaidFirst: ['Yang belum bayar di atas', 'Unpaid first'],
  membersCount: ['{n} anggota', '{n} members'],
  monthly: ['Setoran selesai per bulan', 'Completed deposits per month'],
  byPeriode: ['Per periode', 'By periode'],
  byPayment: ['Per metode', 'By payment method'],
  count: ['Jumlah setoran', 'Deposits'],
  openQueue: ['Buka antrian', 'Open the queue'],
  notFoundPage: ['Halaman tidak ditemukan', 'Page not found'],
  serverUnreachable: [
    'Server tidak dapat dihubungi. Sesi Anda masih tersimpan; coba lagi sebentar lagi.',
    'The server cannot be reached. Your session is kept; try again in a moment.',
  ],
  sessionLost: ['Sesi berakhir; silakan masuk lagi.', 'Your session ended; please sign in again.'],
  resetDone: ['Kata sandi tersimpan. Silakan masuk.', 'Password saved. Please sign in.'],
  yes: ['Ya', 'Yes'],
  no: ['Tidak', 'No'],
  actions: ['Aksi', 'Actions'],
  page: ['Halaman {page} dari {pages}', 'Page {page} of {pages}'],
  prev: ['Sebelumnya', 'Previous'],
  next: ['Berikutnya', 'Next'],
  skipToContent: ['Langsung ke isi', 'Skip to content'],
  select: ['Pilih', 'Select'],
  duplicateShort: ['Bukti ganda', 'Duplicate receipt'],
  completeSelected: ['Selesaikan {n} yang dipilih', 'Complete {n} selected'],
  bulkResults: ['Hasil per setoran', 'Result per deposit'],
  amountFormat: ['Tulis jumlah seperti 500.000 atau 500000,50', 'Write the amount like 500.000 or 500000,50'],
  batchHelp: [
    'Satu bukti untuk beberapa anggota: semua tercatat, atau tidak sama sekali.',
    'One receipt for several members: all are recorded, or none.',
  ],
  batchTotal: ['Total gabungan', 'Batch total'],
  recordedBatch: ['Tercatat: {n} setoran', 'Recorded: {n} deposits'],
  memberReport: ['Laporan anggota', 'Member report'],
  sortBy: ['Urutkan', 'Sort by'],
  depositsCount: ['{n} setoran', '{n} deposits'],
  markForBulk: ['Tandai untuk diselesaikan bersama (X)', 'Mark for bulk completion (X)'],
  comingSoon: ['Menunggu fitur di API', 'Waiting for the API'],
} satisfies Record<string, [string, string]>

export type MessageKey = keyof typeof M

export function translate(lang: Lang, key: MessageKey, vars: Record<string, string | number> = {}): string {
  const text = M[key][lang === 'id' ? 0 : 1]
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? ''))
}

/** `const t = useT()` re-renders the component when the language changes. */
export function useT() {
  const lang = useStore(language)
  const t = (key: MessageKey, vars?: Record<string, string | number>) => translate(lang, key, vars)
  t.lang = lang
  return t
}
