using System.CommandLine;
using SegaLearn.Protocol;

namespace SegaLearn.Cli;

/// <summary>
/// <c>segalearn cert --out cluster.pfx</c>: a new cluster certificate (see <see cref="ClusterCertificate"/>). Copying the
/// file to a machine and passing it with <c>--tls</c> is what makes that machine a member.
/// </summary>
internal static class CertCommand
{
    private static readonly Option<string> Out = new("--out") { Description = "the PKCS#12 file to write (never overwritten; readable by its owner only)", Required = true };
    private static readonly Option<int> Days = new("--days") { Description = "days the certificate is valid", DefaultValueFactory = _ => 365 };

    public static Command Create()
    {
        var command = new Command("cert", $"Make the cluster certificate that --tls on coordinator and workers takes (password from {TlsOptions.PasswordVariable}, none if unset).") { Out, Days };
        command.SetAction(Execute);
        return command;
    }

    private static int Execute(ParseResult parse)
    {
        var path = OptionParsing.OutputPath(parse.GetValue(Out)!, "--out");
        var days = OptionParsing.Positive(parse.GetValue(Days), "--days");
        string fingerprint;
        try
        {
            fingerprint = ClusterCertificate.Create(path, Environment.GetEnvironmentVariable(TlsOptions.PasswordVariable), days);
        }
        catch (BadInputException e)
        {
            throw new BadInputException($"--out: {e.Message}", e);
        }

        Console.WriteLine($"cluster certificate written to {path} (valid {days} days; SHA-256 {fingerprint})");
        Console.WriteLine($"copy it to every machine of the cluster and start coordinator and workers with --tls {Path.GetFileName(path)}");
        return ExitCodes.Success;
    }
}
