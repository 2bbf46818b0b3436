# msgs/ tests
pk_add_test(test_msgs SOURCES test_msgs.c LIBS pk_msgs)
