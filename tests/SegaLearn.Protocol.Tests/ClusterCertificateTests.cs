using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SegaLearn.Protocol.Tests;

public sealed class ClusterCertificateTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("segalearn-cert-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Create_should_write_a_self_signed_certificate_with_its_key_valid_for_the_days_asked()
    {
        var path = Path.Combine(_directory, "cluster.pfx");
        var now = new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

        var fingerprint = ClusterCertificate.Create(path, password: null, days: 30, now);

        using var loaded = ClusterCertificate.Load(path, password: null, now);
        Assert.True(loaded.Certificate.HasPrivateKey);
        Assert.Equal($"CN={ClusterCertificate.SubjectName}", loaded.Certificate.Subject);
        Assert.Equal(loaded.Certificate.Subject, loaded.Certificate.Issuer);
        Assert.Equal(now.AddDays(30).UtcDateTime, loaded.Certificate.NotAfter.ToUniversalTime());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(loaded.Certificate.RawData)), fingerprint);
        Assert.Equal(fingerprint, loaded.Fingerprint);
        var usages = loaded.Certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value);
        Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], usages);
        Assert.Single(Directory.GetFiles(_directory));
    }

    [SkippableFact]
    public void Create_should_make_the_file_readable_by_its_owner_only_when_the_file_system_has_unix_modes()
    {
        if (OperatingSystem.IsWindows())
            throw new SkipException("Windows has no Unix file modes; the file inherits its folder's ACL there");
        var path = Path.Combine(_directory, "cluster.pfx");

        ClusterCertificate.Create(path, password: null, days: 1);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Create_should_refuse_and_leave_the_file_as_it_was_when_it_exists()
    {
        var path = Path.Combine(_directory, "cluster.pfx");
        File.WriteAllText(path, "keep me");

        var error = Assert.Throws<BadInputException>(() => ClusterCertificate.Create(path, password: null, days: 365));

        Assert.Contains("exists already", error.Message);
        Assert.Equal("keep me", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public void Load_should_open_the_file_with_its_password_and_refuse_another_password()
    {
        var path = Path.Combine(_directory, "cluster.pfx");
        ClusterCertificate.Create(path, password: "s3cret", days: 10);

        using (var loaded = ClusterCertificate.Load(path, "s3cret"))
            Assert.True(loaded.Certificate.HasPrivateKey);
        var error = Assert.Throws<BadInputException>(() => ClusterCertificate.Load(path, "other"));

        Assert.StartsWith($"{path}: not a PKCS#12 certificate, or its password is not the one in SegaLearn__Tls__Password", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Load_should_refuse_a_certificate_when_it_has_expired()
    {
        var path = Path.Combine(_directory, "cluster.pfx");
        var made = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        ClusterCertificate.Create(path, password: null, days: 10, made);

        var error = Assert.Throws<BadInputException>(() => ClusterCertificate.Load(path, password: null, made.AddDays(11)));

        Assert.Contains("valid from 2025-12-31 00:00 to 2026-01-11 00:00 UTC, not now", error.Message);
    }

    [Fact]
    public void Load_should_name_the_command_that_makes_one_when_the_file_is_missing()
    {
        var path = Path.Combine(_directory, "none.pfx");

        var error = Assert.Throws<BadInputException>(() => ClusterCertificate.Load(path, password: null));

        Assert.Equal($"{path}: no such certificate file (make one with: segalearn cert --out {path})", error.Message);
    }

    [Fact]
    public void Load_should_refuse_a_certificate_without_its_private_key()
    {
        var full = Path.Combine(_directory, "cluster.pfx");
        ClusterCertificate.Create(full, password: null, days: 10);
        using var loaded = ClusterCertificate.Load(full, password: null);
        var path = Path.Combine(_directory, "public.pfx");
        File.WriteAllBytes(path, X509CertificateLoader.LoadCertificate(loaded.Certificate.RawData).Export(X509ContentType.Pkcs12));

        var error = Assert.Throws<BadInputException>(() => ClusterCertificate.Load(path, password: null));

        Assert.Contains("has no private key", error.Message);
    }

    [Fact]
    public void Matches_should_accept_the_same_certificate_only()
    {
        ClusterCertificate.Create(Path.Combine(_directory, "a.pfx"), password: null, days: 10);
        ClusterCertificate.Create(Path.Combine(_directory, "b.pfx"), password: null, days: 10);
        using var a = ClusterCertificate.Load(Path.Combine(_directory, "a.pfx"), password: null);
        using var b = ClusterCertificate.Load(Path.Combine(_directory, "b.pfx"), password: null);
        using var publicPartOfA = X509CertificateLoader.LoadCertificate(a.Certificate.RawData);

        Assert.True(a.Matches(publicPartOfA));
        Assert.False(a.Matches(b.Certificate));
        Assert.False(a.Matches(null));
        Assert.Null(a.Mismatch(publicPartOfA));
        Assert.Equal("it presented no certificate", a.Mismatch(null));
        Assert.Equal($"its certificate {b.Fingerprint[..16]}… is not this cluster's {a.Fingerprint[..16]}…", a.Mismatch(b.Certificate));
    }
}
