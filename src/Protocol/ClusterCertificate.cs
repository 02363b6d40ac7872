using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SegaLearn.Protocol;

/// <summary>
/// The one certificate every member of a cluster holds (<c>segalearn cert</c> makes it): each side of every connection
/// presents it and accepts only a peer presenting the same one, compared by the SHA-256 of its bytes. There is no
/// certificate authority to trust and no host name to check, so a self-signed certificate copied to each machine is
/// the whole set-up, and a machine without the file (or with another cluster's) cannot take part.
/// </summary>
public sealed class ClusterCertificate : IDisposable
{
    /// <summary>The name in the certificate; also the TLS server name clients ask for, since no host name is checked.</summary>
    public const string SubjectName = "segalearn-cluster";

    private ClusterCertificate(X509Certificate2 certificate, string path)
    {
        Certificate = certificate;
        Path = path;
        Fingerprint = FingerprintOf(certificate);
    }

    /// <summary>The certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The file it was loaded from.</summary>
    public string Path { get; }

    /// <summary>SHA-256 of the certificate, lowercase hex: what peers are compared with, and what logs name.</summary>
    public string Fingerprint { get; }

    /// <summary>Loads a PKCS#12 file (<paramref name="password"/>: null or empty for none) and checks it can serve: a private key, not expired.</summary>
    /// <exception cref="BadInputException">The file is missing, unreadable, not PKCS#12, has another password, no private key, or is expired.</exception>
    public static ClusterCertificate Load(string path, string? password, DateTimeOffset? now = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new BadInputException($"{path}: no such certificate file (make one with: segalearn cert --out {path})");
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, string.IsNullOrEmpty(password) ? null : password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException e)
        {
            throw new BadInputException($"{path}: not a PKCS#12 certificate, or its password is not the one in SegaLearn__Tls__Password ({e.Message.TrimEnd('.')})", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"{path}: cannot be read ({e.Message.TrimEnd('.')})", e);
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new BadInputException($"{path}: the certificate has no private key; a cluster member needs the whole file written by segalearn cert");
        }

        var at = now ?? DateTimeOffset.UtcNow;
        if (certificate.NotAfter.ToUniversalTime() < at.UtcDateTime || certificate.NotBefore.ToUniversalTime() > at.UtcDateTime)
        {
            var (from, to) = (certificate.NotBefore.ToUniversalTime(), certificate.NotAfter.ToUniversalTime());
            certificate.Dispose();
            throw new BadInputException($"{path}: the certificate is valid from {from:yyyy-MM-dd HH:mm} to {to:yyyy-MM-dd HH:mm} UTC, not now; make a new one with segalearn cert");
        }

        return new ClusterCertificate(certificate, System.IO.Path.GetFullPath(path));
    }

    /// <summary>
    /// Writes a new self-signed certificate and its key (ECDSA P-256, valid <paramref name="days"/> days, usable by
    /// TLS servers and clients) to <paramref name="path"/> as PKCS#12, readable by its owner only where the file system
    /// has Unix modes. The file appears whole or not at all, and an existing file is never replaced.
    /// </summary>
    /// <returns>The new certificate's SHA-256 fingerprint.</returns>
    public static string Create(string path, string? password, int days, DateTimeOffset? now = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(days);
        if (File.Exists(path))
            throw new BadInputException($"{path}: exists already; a cluster certificate is never overwritten (remove it, or choose another file)");

        var from = now ?? DateTimeOffset.UtcNow;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={SubjectName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(SubjectName);
        request.CertificateExtensions.Add(names.Build());
        // A day of slack before now, so a member whose clock runs a little behind does not reject a fresh certificate.
        using var certificate = request.CreateSelfSigned(from.AddDays(-1), from.AddDays(days));
        var bytes = certificate.Export(X509ContentType.Pkcs12, string.IsNullOrEmpty(password) ? null : password);

        var full = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
            throw new BadInputException($"{path}: the directory {directory} does not exist");
        var temporary = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            throw new BadInputException($"{path}: cannot be written ({e.Message.TrimEnd('.')})", e);
        }

        return FingerprintOf(certificate);
    }

    /// <summary>Whether <paramref name="presented"/> is this very certificate.</summary>
    public bool Matches(X509Certificate? presented) => presented is not null && FingerprintOf(presented) == Fingerprint;

    /// <summary>Why <paramref name="presented"/> is refused, for logs; null when it <see cref="Matches"/>.</summary>
    public string? Mismatch(X509Certificate? presented)
    {
        if (presented is null)
            return "it presented no certificate";
        var fingerprint = FingerprintOf(presented);
        return fingerprint == Fingerprint ? null : $"its certificate {fingerprint[..16]}… is not this cluster's {Fingerprint[..16]}…";
    }

    private static string FingerprintOf(X509Certificate certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.GetRawCertData()));

    /// <summary>
    /// TLS over <paramref name="inner"/> with blocking calls (a socket that saw an async call stays non-blocking for good,
    /// see <c>FrameChannel</c>), both sides presenting this certificate and each accepting only it.
    /// </summary>
    /// <exception cref="AuthenticationException">The handshake failed; the message says why (the peer's certificate, or none, or not TLS).</exception>
    internal SslStream Authenticate(Stream inner, bool asServer)
    {
        string? refusal = null;
        var stream = new SslStream(inner, leaveInnerStreamOpen: false, (_, presented, _, _) =>
        {
            refusal = Mismatch(presented);
            return refusal is null;
        });
        try
        {
            if (asServer)
                stream.AuthenticateAsServer(Certificate, clientCertificateRequired: true, SslProtocols.None, checkCertificateRevocation: false);
            else
                stream.AuthenticateAsClient(SubjectName, new X509CertificateCollection { Certificate }, SslProtocols.None, checkCertificateRevocation: false);
            return stream;
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            stream.Dispose();
            throw new AuthenticationException(
                refusal is not null ? $"TLS refused: {refusal}"
                : $"TLS handshake failed (is the other side running with the same --tls certificate?): {e.Message.TrimEnd('.')}", e);
        }
    }

    public void Dispose() => Certificate.Dispose();
}
