greek = "αβγ"
emoji = "🚀 launch"
cjk = "漢字"
combining = "e\u0301"
