import type { MediaUpload } from '../convert';

/** One remote message's delivery, kept across its attempts (remote-intake.ts). */
export interface RemoteJob {
  /** when the network accepted it: how late it is, how old */
  sentAt: number;
  /** attachments moved so far, by part index: a retry neither loses nor re-uploads them */
  moved: Map<number, MediaUpload>;
  /** it waited for the user (a message request): dated when sent, but neither late nor a
   *  delivery delay */
  waited?: boolean;
}
