/** What the Artifact Registry / Service Usage stand-in stores, in the API's own vocabulary. */

type RepositoryFormat =
  | 'FORMAT_UNSPECIFIED'
  | 'DOCKER'
  | 'MAVEN'
  | 'NPM'
  | 'APT'
  | 'YUM'
  | 'PYTHON'
  | 'KFP'
  | 'GO'
  | 'GENERIC'
  | 'RUBY';

type RepositoryMode = 'MODE_UNSPECIFIED' | 'STANDARD_REPOSITORY' | 'VIRTUAL_REPOSITORY' | 'REMOTE_REPOSITORY';

/** A `google.devtools.artifactregistry.v1.Repository`, reduced to what matters here. */
export interface StandInRepository {
  /** `projects/P/locations/L/repositories/R` */
  name: string;
  format?: RepositoryFormat; // default DOCKER
  mode?: RepositoryMode; // default STANDARD_REPOSITORY
  kmsKeyName?: string;
  description?: string;
  labels?: Record<string, string>;
}

/** A `google.devtools.artifactregistry.v1.DockerImage`. */
export interface StandInDockerImage {
  /** `projects/P/locations/L/repositories/R/dockerImages/IMAGE@sha256:…`, '/' in IMAGE as %2F. */
  name: string;
  uri: string;
  tags?: string[];
  mediaType?: string;
  imageSizeBytes?: number;
  uploadTime?: Date;
  artifactType?: string;
}

export type ServiceState = 'ENABLED' | 'DISABLED';

export interface StandInServiceState {
  project: string;
  service: string;
  state: ServiceState;
}

export const REPOSITORY_NAME = /^projects\/([^/]+)\/locations\/([^/]+)\/repositories\/([^/]+)$/;
export const LOCATION_NAME = /^projects\/([^/]+)\/locations\/([^/]+)$/;
export const DOCKER_IMAGE_NAME =
  /^(projects\/[^/]+\/locations\/[^/]+\/repositories\/[^/]+)\/dockerImages\/([^/]+)$/;
export const SERVICE_NAME = /^projects\/([^/]+)\/services\/([^/]+)$/;
