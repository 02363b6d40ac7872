using System.CommandLine;
using SegaLearn.Hosting;
using SegaLearn.Protocol;

namespace SegaLearn.Cli;

/// <summary>
/// <c>segalearn coordinator --port P --min-workers N [train options]</c>: cluster mode. Waits for workers started
/// elsewhere with <c>segalearn worker --join HOST:P</c>, then trains like <c>train</c>.
/// </summary>
internal static class CoordinatorCommand
{
    private static readonly Option<int> Port = new("--port") { Description = "remoting port workers join", DefaultValueFactory = _ => 4053 };
    private static readonly Option<int> DataPort = new("--data-port") { Description = "data-plane port for parameters and gradients (0: any free port, told to workers)", DefaultValueFactory = _ => 0 };
    private static readonly Option<int> MinWorkers = new("--min-workers") { Description = "workers to wait for before training starts", DefaultValueFactory = _ => 1 };
    private static readonly Option<string> PublicHost = new("--host") { Description = "host name or address workers reach this machine at", DefaultValueFactory = _ => "127.0.0.1" };

    public static Command Create()
    {
        var command = TrainOptions.Command("coordinator", "Coordinate training on workers that join this node.", Port, DataPort, MinWorkers, PublicHost, TlsOptions.Tls, TlsOptions.Insecure);
        command.SetAction(parse =>
        {
            var port = OptionParsing.Positive(parse.GetValue(Port), "--port");
            var dataPort = OptionParsing.NonNegative(parse.GetValue(DataPort), "--data-port");
            var minWorkers = OptionParsing.Positive(parse.GetValue(MinWorkers), "--min-workers");
            var host = parse.GetValue(PublicHost)!;
            var configured = SegaLearnHost.Bind(SegaLearnHost.CreateBuilder().Configuration, "Tls", new TlsSettings());
            using var tls = TlsOptions.Resolve(parse, configured, host, "--host");
            return TrainingRun.Execute(parse, context => ClusterEngines.Coordinator(context, host, port, dataPort, minWorkers, tls));
        });
        return command;
    }
}
