using System.Buffers.Binary;
using System.Globalization;

namespace SegaLearn.Cli.Tests;

public sealed class OutputOptionTests
{
    [Fact]
    public void Plot_should_draw_three_stacked_panels_into_a_png()
    {
        using var dir = new TempDirectory();
        var result = SegaLearnProcess.Run(dir.Path, "train", "--data", "breast-cancer", "--epochs", "4", "--plot", "curves.png");
        Assert.Equal(0, result.ExitCode);
        var bytes = File.ReadAllBytes(dir.File("curves.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        Assert.Equal(900, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4)));
        Assert.Equal(900, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4)));
    }

    [Fact]
    public void Init_should_continue_from_a_saved_model_and_refuse_a_different_one()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, SegaLearnProcess.Run(dir.Path, "train", "--data", "breast-cancer", "--epochs", "20", "--out", "first.safetensors").ExitCode);
        var fresh = SegaLearnProcess.Run(dir.Path, "train", "--data", "breast-cancer", "--epochs", "1", "--seed", "9");
        var resumed = SegaLearnProcess.Run(dir.Path, "train", "--data", "breast-cancer", "--epochs", "1", "--seed", "9", "--init", "first.safetensors");
        Assert.Equal(0, resumed.ExitCode);
        Assert.True(FirstLoss(resumed.Output) < FirstLoss(fresh.Output), resumed.Output + fresh.Output);

        var other = SegaLearnProcess.Run(dir.Path, "train", "--data", "breast-cancer", "--layers", "30,8,1", "--init", "first.safetensors", "--out", "x.safetensors");
        Assert.Equal(2, other.ExitCode);
        Assert.Contains("--init: 'first.safetensors' is a different model", Assert.Single(other.ErrorLines), StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("x.safetensors")));
    }

    [Fact]
    public void Predict_should_accept_a_csv_without_its_label_column()
    {
        using var dir = new TempDirectory();
        dir.Write("train.csv", "a,b,label\n" + string.Join('\n', Enumerable.Range(0, 40).Select(i => $"{i % 2 * 4 + i * 0.01},{1 - i % 2},{i % 2}")) + "\n");
        Assert.Equal(0, SegaLearnProcess.Run(dir.Path, "train", "--data", "train.csv", "--epochs", "30", "--out", "m.safetensors").ExitCode);
        dir.Write("new.csv", "a,b\n0.1,1\n4.2,0\n");
        var result = SegaLearnProcess.Run(dir.Path, "predict", "--model", "m.safetensors", "--data", "new.csv");
        Assert.Equal(0, result.ExitCode);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["prediction,p0,p1", "0", "1"], lines.Select((l, i) => i == 0 ? l : l.Split(',')[0]).ToArray());
    }

    private static double FirstLoss(string output)
    {
        var line = output.Split('\n').First(l => l.StartsWith("Epoch 1/", StringComparison.Ordinal));
        var start = line.IndexOf("Loss: ", StringComparison.Ordinal) + "Loss: ".Length;
        return double.Parse(line[start..line.IndexOf(',', start)], CultureInfo.InvariantCulture);
    }
}
