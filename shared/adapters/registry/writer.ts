/**
 * The `RegistryWriter` and `ImageContent` ports over the registry client: what a repair reads and
 * writes, always in the image's own repository.
 */
import { registryAuthority, type ImageReference } from '../../core/image-reference.js';
import type { FetchedManifest } from '../../core/manifest.js';
import type { ImageContent, RegistryWriter } from '../../core/ports.js';
import type { RegistryClient, RepositoryLocator } from './client.js';

/**
 * @example
 *   const writer = new RegistryClientWriter(client);
 *   await writer.putBlob(image, digest, bytes);
 */
export class RegistryClientWriter implements RegistryWriter, ImageContent {
  constructor(
    private readonly client: RegistryClient,
    private readonly options: { chunkSize?: number } = {},
  ) {}

  async manifest(image: ImageReference, digest: string): Promise<FetchedManifest> {
    const got = await this.client.getManifest(locator(image), digest);
    return got.contentType === undefined
      ? { document: got.document }
      : { document: got.document, contentType: got.contentType };
  }

  async config(image: ImageReference, digest: string): Promise<unknown> {
    const bytes = await this.client.getBlob(locator(image), digest, 4 * 1024 * 1024);
    try {
      return JSON.parse(bytes.toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  async putBlob(image: ImageReference, digest: string, bytes: Uint8Array<ArrayBuffer>): Promise<void> {
    await this.client.uploadBlob(locator(image), digest, bytes, this.options);
  }

  putManifest(
    image: ImageReference,
    reference: string,
    bytes: Uint8Array<ArrayBuffer>,
    mediaType: string,
  ): Promise<string> {
    return this.client.putManifest(locator(image), reference, bytes, mediaType);
  }

  hasManifest(image: ImageReference, reference: string): Promise<boolean> {
    return this.client.manifestExists(locator(image), reference);
  }
}

function locator(image: ImageReference): RepositoryLocator {
  return { authority: registryAuthority(image), name: image.path };
}
