namespace SegaLearn.Protocol;

/// <summary>
/// Where a node's cluster certificate is (configuration section <c>SegaLearn:Tls</c>, e.g. the environment variables
/// <c>SegaLearn__Tls__Certificate</c> and <c>SegaLearn__Tls__Password</c>); no certificate means no TLS.
/// </summary>
public sealed record TlsSettings
{
    /// <summary>The PKCS#12 file <c>segalearn cert</c> wrote, or null.</summary>
    public string? Certificate { get; init; }

    /// <summary>Its password; null or empty for none.</summary>
    public string? Password { get; init; }

    /// <summary>The certificate loaded and checked (see <see cref="ClusterCertificate.Load"/>), or null without one.</summary>
    public ClusterCertificate? Load() => string.IsNullOrEmpty(Certificate) ? null : ClusterCertificate.Load(Certificate, Password);
}
