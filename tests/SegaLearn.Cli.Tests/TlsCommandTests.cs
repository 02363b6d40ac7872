using System.Globalization;
using System.Security.Cryptography;

namespace SegaLearn.Cli.Tests;

/// <summary>
/// The cluster certificate through the real command: <c>segalearn cert</c>, a coordinator and workers with <c>--tls</c>
/// ending with the single-process model bytes while a worker with another certificate and one without TLS are refused,
/// and the rule that a node listening beyond loopback needs <c>--tls</c> or <c>--insecure</c>.
/// </summary>
[Collection(nameof(DistributedTrainingTests))]
public sealed class TlsCommandTests
{
    private static readonly string[] Options = ["--epochs", "2", "--batch-size", "100", "--microbatch", "16", "--layers", "64,32,10", "--backend", "reference"];

    [Fact]
    public async Task Coordinator_with_tls_should_end_with_the_single_process_bytes_and_refuse_workers_without_the_cluster_certificate()
    {
        using var dir = new TempDirectory();
        var single = SegaLearnProcess.Run(dir.Path, ["train", .. Options, "--out", "single.safetensors"]);
        Assert.True(single.ExitCode == 0, single.Error);
        Assert.Equal(0, SegaLearnProcess.Run(dir.Path, "cert", "--out", "cluster.pfx").ExitCode);
        Assert.Equal(0, SegaLearnProcess.Run(dir.Path, "cert", "--out", "other.pfx").ExitCode);
        var port = FreePort.Next();
        var join = $"127.0.0.1:{port}";

        var coordinator = Task.Run(() => SegaLearnProcess.Run(
            dir.Path, ["coordinator", .. Options, "--port", port.ToString(CultureInfo.InvariantCulture), "--min-workers", "2", "--tls", "cluster.pfx", "--out", "tls.safetensors"]));
        var stranger = SegaLearnProcess.Run(dir.Path, "worker", "--join", join, "--name", "stranger", "--threads", "1", "--tls", "other.pfx", "--connect-timeout", "30");
        var clear = SegaLearnProcess.Run(dir.Path, "worker", "--join", join, "--name", "clear", "--threads", "1", "--connect-timeout", "8");
        var members = new[] { "member-1", "member-2" }
            .Select(name => Task.Run(() => SegaLearnProcess.Run(dir.Path, "worker", "--join", join, "--name", name, "--threads", "1", "--tls", "cluster.pfx")))
            .ToArray();
        var result = await coordinator;

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("with TLS (certificate", result.Output, StringComparison.Ordinal);
        Assert.Contains("due to TLS handshake failure", result.Error, StringComparison.Ordinal);
        foreach (var member in await Task.WhenAll(members))
        {
            Assert.True(member.ExitCode == 0, member.Error);
            Assert.Contains("finished", member.Output, StringComparison.Ordinal);
        }

        Assert.NotEqual(0, stranger.ExitCode);
        Assert.Contains("remoting refused a TLS connection with ssl.tcp://segalearn@127.0.0.1", stranger.Error, StringComparison.Ordinal);
        Assert.Contains("is not this cluster's", stranger.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("registered for job", stranger.Error, StringComparison.Ordinal);
        Assert.Equal(3, clear.ExitCode);
        Assert.Contains("no job offered", clear.Error, StringComparison.Ordinal);
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(dir.File("single.safetensors"))), SHA256.HashData(File.ReadAllBytes(dir.File("tls.safetensors"))));
    }

    [Fact]
    public void Coordinator_should_exit_2_naming_tls_when_its_host_is_not_loopback_and_it_has_no_certificate()
    {
        using var dir = new TempDirectory();

        var result = SegaLearnProcess.Run(dir.Path, ["coordinator", .. Options, "--host", "10.231.7.7", "--out", "m.safetensors"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(
            "error: --host 10.231.7.7: a node reachable beyond this machine needs --tls cluster.pfx (make it with segalearn cert and copy it to every machine), or --insecure to run in clear on a network you trust",
            Assert.Single(result.ErrorLines));
        Assert.False(File.Exists(dir.File("m.safetensors")));
    }

    [Fact]
    public void Worker_should_exit_2_naming_tls_when_it_joins_beyond_loopback_in_clear_and_try_to_join_when_insecure()
    {
        using var dir = new TempDirectory();

        var refused = SegaLearnProcess.Run(dir.Path, "worker", "--join", "10.231.7.7:4053", "--connect-timeout", "1");
        var insecure = SegaLearnProcess.Run(dir.Path, "worker", "--join", "10.231.7.7:4053", "--connect-timeout", "1", "--insecure");

        Assert.Equal(2, refused.ExitCode);
        Assert.StartsWith("error: --join 10.231.7.7: a node reachable beyond this machine needs --tls", Assert.Single(refused.ErrorLines));
        Assert.Equal(3, insecure.ExitCode);
        Assert.Contains("no job offered by akka.tcp://segalearn@10.231.7.7:4053", insecure.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("needs --tls", insecure.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Coordinator_should_exit_2_naming_the_option_or_variable_when_the_certificate_cannot_be_loaded()
    {
        using var dir = new TempDirectory();
        dir.Write("broken.pfx", "not a certificate");

        var missing = SegaLearnProcess.Run(dir.Path, ["coordinator", .. Options, "--tls", "missing.pfx"]);
        var broken = SegaLearnProcess.Run(dir.Path, null, ["env", "SegaLearn__Tls__Certificate=broken.pfx"], ["coordinator", .. Options]);

        Assert.Equal(2, missing.ExitCode);
        Assert.Equal("error: --tls: missing.pfx: no such certificate file (make one with: segalearn cert --out missing.pfx)", Assert.Single(missing.ErrorLines));
        Assert.Equal(2, broken.ExitCode);
        Assert.StartsWith("error: SegaLearn__Tls__Certificate: broken.pfx: not a PKCS#12 certificate", Assert.Single(broken.ErrorLines));
    }

    [Fact]
    public void Cert_should_write_a_certificate_once_and_exit_2_without_touching_it_when_asked_again()
    {
        using var dir = new TempDirectory();

        var first = SegaLearnProcess.Run(dir.Path, "cert", "--out", "cluster.pfx", "--days", "30");
        var bytes = File.ReadAllBytes(dir.File("cluster.pfx"));
        var second = SegaLearnProcess.Run(dir.Path, "cert", "--out", "cluster.pfx");

        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Contains("valid 30 days; SHA-256 ", first.Output, StringComparison.Ordinal);
        Assert.Equal(2, second.ExitCode);
        Assert.Equal($"error: --out: {dir.File("cluster.pfx")}: exists already; a cluster certificate is never overwritten (remove it, or choose another file)", Assert.Single(second.ErrorLines));
        Assert.Equal(bytes, File.ReadAllBytes(dir.File("cluster.pfx")));
    }
}
