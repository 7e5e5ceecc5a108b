import NIOSSL

/// TLS contexts for RTMPS (and later HTTPS) from PEM files named in the gateway config.
enum TLSSupport {
    static func serverContext(certificate: String, key: String) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
        let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain, privateKey: .privateKey(privateKey))
        return try NIOSSLContext(configuration: configuration)
    }
}
