import Hummingbird
import Ladder

/// `thumbnail.jpg?width=N`: a smaller copy of the stream's thumbnail (`ThumbnailSizes`).
extension OriginResponder {
    static let thumbnailName = "thumbnail.jpg"
    static let thumbnailSuffix = "/" + thumbnailName

    /// `thumbnail.jpg?width=N` (64 to 3840; rounded down to a multiple of 16, never enlarged).
    func smallerThumbnail(
        stream: String, width: Substring, request: Request, context: Context
    ) async
        -> Response
    {
        guard let wanted = ThumbnailSizes.width(query: width) else {
            return Self.text(
                .badRequest, "width must be \(ThumbnailSizes.minWidth) to \(ThumbnailSizes.maxWidth)\n",
                cacheControl: Self.noStore)
        }
        guard var file = content.file(stream: stream, path: Self.thumbnailName) else { return Self.notFound() }
        do {
            file.body = try await thumbnails.resized(stream: stream, source: file.body, width: wanted)
            file.memoryFile = nil
        } catch {
            return Self.text(
                .internalServerError, "cannot resize the thumbnail: \(error)\n", cacheControl: Self.noStore)
        }
        return counted(Self.fileResponse(file, request: request), stream: stream, request: request, context: context)
    }
}
