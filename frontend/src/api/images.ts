import {
  apiUrl, del, get, parseError, patch, post, reportSessionEnded, request, segment, type Operation, type Schema,
} from './client';
import type { operations } from './schema';

export type ImageKind = Schema<'ImageView'>['kind'];
export type ImageVisibility = Schema<'ImageView'>['visibility'];

/** An instance using a version: only the caller's own tenant's (all for platform admins). */
export type InstanceRef = Schema<'InstanceRef'>;

/** One uploaded version of an image (GET /images/{id} only). */
export type ImageVersion = Schema<'VersionView'>;

/** An image of the catalog. Fields the server leaves null are absent. */
export type Image = Schema<'ImageView'>;

/** The query of GET /images, as the document declares it. */
export type ImageFilter = NonNullable<operations['listImages']['parameters']['query']>;

export const listImages = (filter: ImageFilter = {}, signal?: AbortSignal) =>
  get<Schema<'PageImageView'>>('/images', { ...filter }, signal);

export const getImage = (id: string, signal?: AbortSignal) => get<Image>(`/images/${segment(id)}`, undefined, signal);

export type CreateImageRequest = Schema<'CreateImageRequest'>;

export const createImage = (request: CreateImageRequest) => post<Image>('/images', request);

export type UpdateImageRequest = Schema<'UpdateImageRequest'>;

export const updateImage = (id: string, request: UpdateImageRequest) => patch<Image>(`/images/${segment(id)}`, request);

/** Deletes the image with all its versions; 409 image_version_in_use while instances use it. */
export const deleteImage = (id: string) => del<void>(`/images/${segment(id)}`);

export const setVersionDeprecated = (id: string, version: string, deprecated: boolean) =>
  patch<Image>(`/images/${segment(id)}/versions/${segment(version)}`, { deprecated });

export const deleteVersion = (id: string, version: string) =>
  del<void>(`/images/${segment(id)}/versions/${segment(version)}`);

/** Points a channel at a version, creating the channel. */
export const setChannel = (id: string, channel: string, version: string) =>
  post<Image>(`/images/${segment(id)}/channels`, { channel, version });

export const deleteChannel = (id: string, channel: string) =>
  request<void>(`/images/${segment(id)}/channels`, { method: 'DELETE', query: { channel } });

export type UrlImport = Schema<'ImportUrlRequest'>;

/** Starts the import of a version from a URL on the allow-list; answers the operation that downloads it. */
export const importVersionFromUrl = (id: string, request: UrlImport) =>
  post<Operation>(`/images/${segment(id)}/versions/import`, request);

export const shareImage = (id: string, tenant: string) => post<Image>(`/images/${segment(id)}/shares`, { tenant });

/** An image another tenant offers to yours; it enters your catalog once a tenant admin accepts. */
export type ImageOffer = Schema<'Offer'>;

export const listImageOffers = (signal?: AbortSignal) => get<Schema<'ItemsOffer'>>('/images/offers', undefined, signal);
export const acceptImageOffer = (id: string) => post<Image>(`/images/${segment(id)}/accept`);
export const declineImageOffer = (id: string) => del<void>(`/images/${segment(id)}/offer`);

export const unshareImage = (id: string, tenant: string) =>
  del<Image>(`/images/${segment(id)}/shares/${segment(tenant)}`);

export interface VersionUpload {
  version: string;
  /** Jails: left out (the server tells the format from the bytes). VMs: raw, qcow2 or kernel. */
  format?: string;
  /** The SHA-256 computed in the browser, checked by the server; left out for big files. */
  sha256?: string;
  /** Channels to point at the new version besides latest. */
  channels?: string[];
  /** Kernel command line of a kernel-booted VM image. */
  cmdline?: string;
}

/**
 * Uploads a version: the file is the raw request body, its description the query. Reports the
 * bytes sent; answers the image with its new version once the panel has checked and imported it.
 * XMLHttpRequest, because fetch cannot report upload progress.
 */
export function uploadVersion(
  id: string,
  file: Blob,
  upload: VersionUpload,
  onProgress: (sent: number, total: number) => void,
): { done: Promise<Image>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<Image>((resolve, reject) => {
    const url = apiUrl(`/images/${segment(id)}/versions`, {
      version: upload.version,
      format: upload.format,
      sha256: upload.sha256,
      size: file.size,
      channels: upload.channels?.length ? upload.channels.join(',') : undefined,
      cmdline: upload.cmdline,
    });
    xhr.open('POST', url);
    xhr.setRequestHeader('X-Requested-With', 'JavaScript');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    xhr.upload.onload = () => onProgress(file.size, file.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText) as Image);
      else if (xhr.status === 401 || xhr.status === 499) {
        reportSessionEnded(xhr.status);
        reject(parseError(xhr.status, xhr.responseText, xhr.statusText));
      } else reject(parseError(xhr.status, xhr.responseText, xhr.statusText));
    };
    xhr.onerror = () => reject(parseError(0, '', 'the upload failed: the panel cannot be reached'));
    xhr.onabort = () => reject(parseError(0, '', 'the upload was cancelled'));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}
