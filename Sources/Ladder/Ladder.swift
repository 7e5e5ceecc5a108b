// The media core as one import for the executable. Tests import the target they test.
@_exported import LadderFFmpeg
@_exported import LadderMedia
@_exported import LadderPackaging
@_exported import LadderProfile
@_exported import LadderTranscode
