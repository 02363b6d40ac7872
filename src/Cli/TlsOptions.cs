using System.CommandLine;
using SegaLearn.Protocol;

namespace SegaLearn.Cli;

/// <summary>
/// <c>--tls</c> and <c>--insecure</c> of <c>coordinator</c> and <c>worker</c>, and the rule between them: a node that
/// listens beyond loopback without TLS would let anyone who reaches its ports join the job, get its token and its
/// training data, and hand in gradients, so it starts only when the user says <c>--insecure</c>.
/// </summary>
internal static class TlsOptions
{
    public const string CertificateVariable = "SegaLearn__Tls__Certificate";

    public const string PasswordVariable = "SegaLearn__Tls__Password";

    public static readonly Option<string?> Tls = new("--tls")
    {
        Description = $"the cluster certificate made by segalearn cert: mutual TLS on remoting and the data plane, only nodes with this file take part (or {CertificateVariable}; password from {PasswordVariable})",
    };

    public static readonly Option<bool> Insecure = new("--insecure")
    {
        Description = "allow listening on a non-loopback address without --tls (plain TCP: anyone who reaches the ports can join and read the data)",
    };

    /// <summary>
    /// The node's certificate (<c>--tls</c> over <paramref name="configured"/>), loaded and checked, or null without TLS;
    /// refuses a node that would listen beyond loopback (<paramref name="host"/>, from option <paramref name="hostOption"/>)
    /// in clear unless <c>--insecure</c>.
    /// </summary>
    public static ClusterCertificate? Resolve(ParseResult parse, TlsSettings configured, string host, string hostOption)
    {
        var settings = parse.GetValue(Tls) is { } path ? configured with { Certificate = path } : configured;
        if (string.IsNullOrEmpty(settings.Certificate))
        {
            if (!ProtocolInfo.IsLoopback(host) && !parse.GetValue(Insecure))
                throw new BadInputException(
                    $"{hostOption} {host}: a node reachable beyond this machine needs --tls cluster.pfx (make it with segalearn cert and copy it to every machine), or --insecure to run in clear on a network you trust");
            return null;
        }

        try
        {
            return settings.Load();
        }
        catch (BadInputException e)
        {
            throw new BadInputException($"{(parse.GetValue(Tls) is null ? CertificateVariable : "--tls")}: {e.Message}", e);
        }
    }
}
