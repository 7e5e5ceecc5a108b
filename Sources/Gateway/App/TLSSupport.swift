import NIOSSL

/// TLS contexts for RTMPS (and later HTTPS) from PEM files named in the gateway config.
enum TLSSupport {
    static func serverConfiguration(certificate: String, key: String) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
        let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
    }

    static func serverContext(certificate: String, key: String) throws -> NIOSSLContext {
        try NIOSSLContext(configuration: serverConfiguration(certificate: certificate, key: key))
    }
}
