/**
 * The member statement as an A4 PDF: the member's figures (target, paid, pending, remaining,
 * arrears), then one row per periode and one row per deposit, with page breaks as needed.
 */
import PDFDocument from 'pdfkit'
import { formatRupiah, formatTanggal } from '../../lib/rupiah.js'
import type { DocumentHeader } from '../settings/settings.service.js'
import { drawLetterhead, pdfBuffer } from './receipt-pdf.js'
import type { StatementDepositRow } from './statement.queries.js'

export interface StatementFigures {
  target: string | null
  paid: string
  pending: string
  remaining: string | null
  arrears: string
}

export interface StatementPeriode {
  name: string
  start: string
  end: string
  target: string | null
  paid: string
  pending: string
  remaining: string | null
}

export interface StatementDocument {
  header: DocumentHeader
  member: { fullname: string; username: string }
  range: { from: string | null; to: string | null }
  figures: StatementFigures
  periodes: StatementPeriode[]
  deposits: StatementDepositRow[]
  timezone: string
  printedAt: Date
}

const STATUS: Record<StatementDepositRow['status'], string> = {
  sent: 'Menunggu',
  on_process: 'Diproses',
  completed: 'Selesai',
  rejected: 'Ditolak',
}

const rupiahOrDash = (v: string | null) => (v === null ? '-' : formatRupiah(v))

export async function renderStatementPdf(input: StatementDocument): Promise<Buffer> {
  const { header, member, figures, timezone } = input
  const doc = new PDFDocument({ size: 'A4', margin: 40, info: { Title: `Rekening tabungan ${member.fullname}`, Author: header.name } })
  const left = doc.page.margins.left
  const width = doc.page.width - left - doc.page.margins.right
  const limit = () => doc.page.height - doc.page.margins.bottom - 16
  let y = drawLetterhead(doc, header)

  doc.font('Helvetica-Bold').fontSize(14).text('REKENING TABUNGAN UMROH', left, y, { width, align: 'center' })
  const period =
    input.range.from || input.range.to
      ? `Periode laporan: ${input.range.from ?? 'awal'} s.d. ${input.range.to ?? 'sekarang'}`
      : 'Seluruh setoran'
  doc
    .font('Helvetica')
    .fontSize(9)
    .text(`${member.fullname} (${member.username}) - ${period} - dicetak ${formatTanggal(input.printedAt, timezone)}`, {
      width,
      align: 'center',
    })
  y = doc.y + 12

  const summary: [string, string][] = [
    ['Target tabungan', rupiahOrDash(figures.target)],
    ['Sudah dibayar', formatRupiah(figures.paid)],
    ['Menunggu verifikasi', formatRupiah(figures.pending)],
    ['Sisa menuju target', rupiahOrDash(figures.remaining)],
    ['Tunggakan', formatRupiah(figures.arrears)],
  ]
  for (const [label, value] of summary) {
    doc.font('Helvetica').fontSize(10).text(label, left, y, { width: 160 })
    doc.font('Helvetica-Bold').text(value, left + 170, y, { width: 200 })
    y += 15
  }

  /** A table with a header row; columns are [title, width, align]. */
  const table = (title: string, columns: [string, number, 'left' | 'right'][], body: string[][]) => {
    y += 12
    if (y > limit() - 40) {
      doc.addPage()
      y = doc.page.margins.top
    }
    doc.font('Helvetica-Bold').fontSize(11).text(title, left, y)
    y = doc.y + 4
    const drawRow = (cells: string[], font: string) => {
      let x = left
      doc.font(font).fontSize(8)
      cells.forEach((cell, i) => {
        const [, w, align] = columns[i] as [string, number, 'left' | 'right']
        doc.text(cell, x, y, { width: w - 4, align, lineBreak: false, ellipsis: true })
        x += w
      })
      y += 12
    }
    drawRow(
      columns.map((c) => c[0]),
      'Helvetica-Bold',
    )
    if (!body.length) drawRow(['-'], 'Helvetica')
    for (const cells of body) {
      if (y > limit()) {
        doc.addPage()
        y = doc.page.margins.top
        drawRow(
          columns.map((c) => c[0]),
          'Helvetica-Bold',
        )
      }
      drawRow(cells, 'Helvetica')
    }
  }

  table(
    'Per periode',
    [
      ['Periode', 135, 'left'],
      ['Tanggal', 110, 'left'],
      ['Target', 70, 'right'],
      ['Dibayar', 70, 'right'],
      ['Menunggu', 65, 'right'],
      ['Sisa', 65, 'right'],
    ],
    input.periodes.map((p) => [
      p.name,
      `${p.start} s.d. ${p.end}`,
      rupiahOrDash(p.target),
      formatRupiah(p.paid),
      formatRupiah(p.pending),
      rupiahOrDash(p.remaining),
    ]),
  )
  table(
    'Setoran',
    [
      ['Tanggal', 75, 'left'],
      ['No. kuitansi', 95, 'left'],
      ['Periode', 100, 'left'],
      ['Metode', 80, 'left'],
      ['Status', 50, 'left'],
      ['Jumlah', 115, 'right'],
    ],
    input.deposits.map((d) => [
      formatTanggal(new Date(d.transaction_date), timezone),
      d.receipt_number ?? '-',
      d.periode_name ?? '-',
      d.payment_name ?? 'Tunai',
      STATUS[d.status],
      formatRupiah(d.amount),
    ]),
  )
  return pdfBuffer(doc)
}
