import { apiUrl, get, parseError, segment, type Operation, type Page } from './client';

export interface Image {
  id: string;
  name: string;
  version?: string;
  kinds?: string[];
  kind?: string;
  visibility: 'public' | 'private' | string;
  tenant?: string | null;
  channel?: string;
  sizeBytes?: number;
  checksum?: string;
  description?: string;
  createdAt?: string;
}

export const listImages = (query: { visibility?: string; limit?: number; cursor?: string } = {}) =>
  get<Page<Image>>('/images', query);

export const getImage = (id: string) => get<Image>(`/images/${segment(id)}`);

export interface ImageUpload {
  name: string;
  version: string;
  kind: string;
  file: File;
  visibility?: 'private' | 'public';
}

/**
 * Uploads an image (multipart POST /images) and reports the bytes sent; answers the operation
 * that checks and imports it. XMLHttpRequest, because fetch cannot report upload progress.
 */
export function uploadImage(
  upload: ImageUpload,
  onProgress: (sent: number, total: number) => void,
): { done: Promise<Operation>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<Operation>((resolve, reject) => {
    const form = new FormData();
    form.set('name', upload.name);
    form.set('version', upload.version);
    form.set('kind', upload.kind);
    if (upload.visibility) form.set('visibility', upload.visibility);
    form.set('file', upload.file, upload.file.name);
    xhr.open('POST', apiUrl('/images'));
    xhr.setRequestHeader('X-Requested-With', 'JavaScript');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : upload.file.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText) as Operation);
      else reject(parseError(xhr.status, xhr.responseText, xhr.statusText));
    };
    xhr.onerror = () => reject(parseError(0, '', 'the upload failed: the panel cannot be reached'));
    xhr.onabort = () => reject(parseError(0, '', 'the upload was cancelled'));
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}
