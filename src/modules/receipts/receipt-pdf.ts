/**
 * The kuitansi as an A5 PDF (pdfkit): organisation header with logo, number, member, amount in
 * figures and in words, deposit date, payment method, periode, verifying treasurer, and a QR code
 * of the signed verification link. Text is real PDF text in the standard Helvetica fonts (nothing
 * to embed, so a document costs milliseconds); the QR code is a small PNG image.
 */
import PDFDocument from 'pdfkit'
import QRCode from 'qrcode'
import { formatRupiah, formatTanggal } from '../../lib/rupiah.js'
import { terbilang } from '../../lib/terbilang.js'
import type { DocumentHeader } from '../settings/settings.service.js'
import type { ReceiptSource } from './receipts.queries.js'

export interface ReceiptDocument {
  header: DocumentHeader
  source: ReceiptSource & { receiptNumber: string }
  verifyUrl: string
  timezone: string
}

/** Collect a pdfkit document into one Buffer. */
export function pdfBuffer(doc: PDFKit.PDFDocument): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    doc.on('data', (c: Buffer) => chunks.push(c))
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
    doc.end()
  })
}

/** Letterhead shared by the kuitansi and the statement; returns the y below it. */
export function drawLetterhead(doc: PDFKit.PDFDocument, header: DocumentHeader): number {
  const left = doc.page.margins.left
  const width = doc.page.width - left - doc.page.margins.right
  const top = doc.page.margins.top
  let textLeft = left
  if (header.logoPng) {
    doc.image(header.logoPng, left, top, { fit: [48, 48] })
    textLeft = left + 58
  }
  doc
    .font('Helvetica-Bold')
    .fontSize(13)
    .text(header.name, textLeft, top, { width: width - (textLeft - left) })
  doc.font('Helvetica').fontSize(8)
  if (header.address) doc.text(header.address, { width: width - (textLeft - left) })
  if (header.contact) doc.text(header.contact, { width: width - (textLeft - left) })
  const bottom = Math.max(doc.y, header.logoPng ? top + 48 : doc.y) + 6
  doc
    .moveTo(left, bottom)
    .lineTo(left + width, bottom)
    .lineWidth(1)
    .stroke()
  return bottom + 10
}

function capitalise(text: string) {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

export async function renderReceiptPdf(input: ReceiptDocument): Promise<Buffer> {
  const { header, source, verifyUrl, timezone } = input
  const doc = new PDFDocument({
    size: 'A5',
    margin: 36,
    info: { Title: `Kuitansi ${source.receiptNumber}`, Author: header.name, Subject: 'Kuitansi setoran tabungan umroh' },
  })
  const left = doc.page.margins.left
  const width = doc.page.width - left - doc.page.margins.right
  let y = drawLetterhead(doc, header)

  doc.font('Helvetica-Bold').fontSize(16).text('KUITANSI', left, y, { width, align: 'center' })
  doc.font('Helvetica').fontSize(10).text(`No. ${source.receiptNumber}`, { width, align: 'center' })
  y = doc.y + 14

  const labelWidth = 110
  const row = (label: string, value: string, font = 'Helvetica') => {
    doc.font('Helvetica').fontSize(10).text(label, left, y, { width: labelWidth })
    doc.text(':', left + labelWidth, y)
    doc
      .font(font)
      .fontSize(10)
      .text(value, left + labelWidth + 10, y, { width: width - labelWidth - 10 })
    y = Math.max(doc.y, y + 14) + 4
  }
  row('Telah terima dari', `${source.ownerName} (${source.ownerUsername})`)
  row('Uang sejumlah', formatRupiah(source.amount), 'Helvetica-Bold')
  row('Terbilang', capitalise(terbilang(source.amount)), 'Helvetica-Oblique')
  row('Untuk pembayaran', 'Tabungan umroh')
  row('Tanggal setor', formatTanggal(source.transactionDate, timezone))
  row('Metode pembayaran', source.paymentName ?? 'Tunai')
  row('Periode', source.periodeName ?? '-')
  row('Diverifikasi oleh', source.confirmerName ?? '-')
  if (source.confirmedAt) row('Tanggal verifikasi', formatTanggal(source.confirmedAt, timezone))

  // QR code bottom left, treasurer's line bottom right.
  const qr = await QRCode.toBuffer(verifyUrl, { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale: 3 })
  const qrSize = 96
  const bottom = doc.page.height - doc.page.margins.bottom
  const qrTop = bottom - qrSize - 22
  doc.image(qr, left, qrTop, { width: qrSize, height: qrSize })
  doc
    .font('Helvetica')
    .fontSize(7)
    .text('Pindai untuk memeriksa keaslian kuitansi ini', left, qrTop + qrSize + 2, { width: qrSize + 60 })
  doc.fontSize(9).text(source.confirmedAt ? formatTanggal(source.confirmedAt, timezone) : '', left + width - 150, qrTop + 10, {
    width: 150,
    align: 'center',
  })
  doc.text('Bendahara', left + width - 150, doc.y, { width: 150, align: 'center' })
  doc.font('Helvetica-Bold').text(source.confirmerName ?? '-', left + width - 150, qrTop + qrSize - 12, { width: 150, align: 'center' })
  return pdfBuffer(doc)
}
