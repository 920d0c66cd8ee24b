/** Pure translation between Matrix events and remote (MIMI-shaped) content. No I/O here. */
export { remoteToMatrix, type MatrixAction, type MediaUpload, type RemoteToMatrixRefs } from './remote-to-matrix';
export {
  completeMediaMessage, matrixRelations, matrixToRemote,
  type MatrixRelations, type MatrixToRemote, type MatrixToRemoteRefs, type PendingAttachment, type UploadedMedia,
} from './matrix-to-remote';
export { readMarksFromReceipt, remoteStatusToMatrix, typingUserIds, type MatrixEphemeralAction, type ReadMark } from './ephemeral';
export { escapeHtml, remoteTextToMatrix, waMarkupToHtml, type MatrixText } from './wa-markup';
export { htmlToWaMarkup, type WaText } from './html-to-wa';
export { sanitizeMatrixHtml } from './sanitize';
export { noticeContent, undeliverableNotice } from './notices';
export { wellFormed } from './well-formed';
export { partEventIndex } from './remote-parts';
export { parseGeoUri, stripReplyFallback } from './matrix-read';
export * from './matrix-types';
