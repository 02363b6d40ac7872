using System.CommandLine;
using SegaLearn.Coordinator;
using SegaLearn.Hosting;
using SegaLearn.Training;

namespace SegaLearn.Cli;

/// <summary>
/// <c>segalearn train</c>: loads a data set, trains, prints the test accuracy, optionally saves the model. Gradients
/// are computed in this process, on <c>--workers N</c> worker actors here, or on <c>--worker-processes N</c> local
/// worker processes joined into a cluster on 127.0.0.1; the trained bits are the same in every case.
/// </summary>
internal static class TrainCommand
{
    private static readonly Option<int?> Workers = new("--workers") { Description = "train on N in-process worker actors (local cores)" };
    private static readonly Option<int?> WorkerProcesses = new("--worker-processes") { Description = "train on a local cluster of N worker processes on 127.0.0.1" };

    public static Command Create()
    {
        var command = TrainOptions.Command("train", "Train a network and print its test accuracy.", Workers, WorkerProcesses);
        command.SetAction(parse =>
        {
            var workers = parse.GetValue(Workers) is { } w ? OptionParsing.Positive(w, "--workers") : (int?)null;
            var processes = parse.GetValue(WorkerProcesses) is { } n ? OptionParsing.Positive(n, "--worker-processes") : (int?)null;
            if (workers is not null && processes is not null)
            {
                throw new BadInputException("--workers and --worker-processes exclude each other: choose in-process actors or worker processes");
            }

            return TrainingRun.Execute(parse, context => (workers, processes) switch
            {
                ({ } count, _) => ActorTrainingEngines.InProcess(count, cancellation: CommandContext.Cancellation),
                (_, { } count) => ClusterEngines.LocalProcesses(context, count),
                _ => (ITrainingEngine?)null,
            });
        });
        return command;
    }
}
